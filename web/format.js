// format.js — how the page shows times: the one place that decides it.
//
// Every time the page shows (the detail panel's "updated", the editor's pending request, the
// moderation queue, history, accounts, the planner and reports) goes through vetmapFormat:
//
//   dateTime(iso)   "15:23 03/12/2026"   hours:minutes (24 h) then day/month/year
//   date(iso)       "03/12/2026"         day/month/year
//
// Day and month always have two digits, in both languages (Vietnamese writes both 3/12/2026 and
// 03/12/2026; the padded form lines up in tables and reads the same in English as dd/mm/yyyy,
// which en-GB readers expect too). The time is in the reader's time zone (the browser's), since
// the server sends instants in UTC (ISO 8601 with Z). Built from Intl's parts rather than from
// toLocaleString, whose layout changes between ICU versions and browsers.
(() => {
  'use strict';

  const PARTS = new Intl.DateTimeFormat('en-GB', {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  });

  /** The fields of an instant in the reader's time zone, or null if `iso` is not a time. */
  function fields(iso) {
    if (iso == null || iso === '') return null;
    const d = iso instanceof Date ? iso : new Date(iso);
    if (Number.isNaN(d.getTime())) return null;
    const f = {};
    for (const p of PARTS.formatToParts(d)) f[p.type] = p.value;
    return f;
  }

  /** "dd/mm/yyyy"; a value that is not a time comes back as given (text), nothing as ''. */
  function date(iso) {
    const f = fields(iso);
    return f ? `${f.day}/${f.month}/${f.year}` : (iso == null ? '' : String(iso));
  }

  /** "HH:MM dd/mm/yyyy"; a value that is not a time comes back as given (text), nothing as ''. */
  function dateTime(iso) {
    const f = fields(iso);
    return f ? `${f.hour}:${f.minute} ${f.day}/${f.month}/${f.year}` : (iso == null ? '' : String(iso));
  }

  window.vetmapFormat = Object.freeze({ date, dateTime });
})();
