/* vetmap planner view: network coverage for planners (who lives within R km of an institution).
 * Self-contained: it needs only the OpenLayers global `ol` and the map, which app.js exposes as
 * window.vetmap.map.  It adds a toggle button to the top bar and, when on, a panel over the map:
 * layout, radius slider, kind filter, the summary, a choropleth of the covered share per unit with
 * its legend, rings of R km around the institutions, suggested sites with the population they add,
 * a what-if scenario (click the map to add a site, click an institution to leave it out), a
 * sortable table of units, downloads (CSV, XLSX, GeoJSON) and a print layout.
 * Every number comes from the API (/api/coverage*), so the page, the API and the CLI agree. */
'use strict';

(function () {
  // ------------------------------------------------------------------ i18n
  const I18N = {
    vi: {
      toggle: 'Phân tích mạng lưới', toggleTitle: 'Phân tích độ bao phủ của mạng lưới (dành cho nhà quy hoạch)',
      title: 'Độ bao phủ mạng lưới GDNN', close: 'Đóng', layout: 'Bản đồ hành chính', radius: 'Bán kính',
      kind: 'Loại hình', all: 'Tất cả', summary: 'Tổng quan', population: 'Dân số', covered: 'Được phục vụ',
      coveredShare: 'Tỷ lệ dân số trong bán kính', meanDistance: 'Khoảng cách TB (theo dân số)',
      worst: 'Xa nhất', without: (n) => `${n} đơn vị không có cơ sở trong bán kính`, institutions: 'Cơ sở',
      legend: 'Tỷ lệ diện tích trong bán kính', noPopulation: 'Chưa có số liệu dân số',
      ring: (r) => `Vòng bán kính ${r} km quanh cơ sở`, suggested: 'Địa điểm gợi ý', hypothetical: 'Cơ sở giả định',
      removed: 'Cơ sở được bỏ ra (giả định)', suggest: 'Gợi ý địa điểm mới', k: 'Số địa điểm',
      suggestRun: 'Gợi ý', gain: (n) => `+${n} người`, adopt: 'Đưa vào kịch bản',
      scenario: 'Kịch bản giả định', scenarioHelp: 'Bấm “Thêm cơ sở” rồi bấm lên bản đồ để đặt cơ sở giả định; bấm vào một cơ sở để bỏ nó ra. Không có gì được lưu.',
      addMode: 'Thêm cơ sở', addModeOn: 'Bấm lên bản đồ…', clear: 'Xóa kịch bản', baseline: 'Hiện trạng', change: 'Thay đổi',
      units: 'Các đơn vị', name: 'Tên', share: 'Tỷ lệ', coveredPop: 'Dân được phục vụ', nearest: 'Gần nhất (km)',
      per100k: 'Cơ sở/100.000 dân', download: 'Tải về', print: 'In', loading: 'Đang tính…',
      error: 'Không tính được độ bao phủ', newSite: (n) => `Cơ sở mới ${n}`, approx: 'ranh giới gần đúng',
      method: 'Khoảng cách trắc địa (WGS84) từ trụ sở xã/phường; diện tích theo lưới đồng diện tích.',
    },
    en: {
      toggle: 'Network coverage', toggleTitle: 'Coverage analysis of the network (for planners)',
      title: 'VET network coverage', close: 'Close', layout: 'Admin layout', radius: 'Radius',
      kind: 'Kind', all: 'All', summary: 'Summary', population: 'Population', covered: 'Covered',
      coveredShare: 'Population within the radius', meanDistance: 'Mean distance (population-weighted)',
      worst: 'Farthest', without: (n) => `${n} units with no institution within the radius`, institutions: 'Institutions',
      legend: 'Share of the area within the radius', noPopulation: 'No population figures',
      ring: (r) => `${r} km ring around an institution`, suggested: 'Suggested site', hypothetical: 'Hypothetical site',
      removed: 'Institution left out (what-if)', suggest: 'Suggest new sites', k: 'Sites',
      suggestRun: 'Suggest', gain: (n) => `+${n} people`, adopt: 'Add to the scenario',
      scenario: 'What-if scenario', scenarioHelp: 'Press “Add a site”, then click the map to place a hypothetical institution; click an institution to leave it out. Nothing is saved.',
      addMode: 'Add a site', addModeOn: 'Click the map…', clear: 'Clear the scenario', baseline: 'Today', change: 'Change',
      units: 'Units', name: 'Name', share: 'Share', coveredPop: 'People covered', nearest: 'Nearest (km)',
      per100k: 'Per 100,000 people', download: 'Download', print: 'Print', loading: 'Computing…',
      error: 'Coverage could not be computed', newSite: (n) => `New site ${n}`, approx: 'approximate boundary',
      method: 'Geodesic distances (WGS84) from each unit\'s seat; areas on an equal-area grid.',
    },
  };
  const KINDS = ['college', 'intermediate_school', 'vet_centre', 'other'];
  const KIND_NAMES = {
    vi: { college: 'Cao đẳng', intermediate_school: 'Trung cấp', vet_centre: 'Trung tâm GDNN', other: 'Khác' },
    en: { college: 'College', intermediate_school: 'Intermediate school', vet_centre: 'VET centre', other: 'Other' },
  };
  const lang = () => (document.documentElement.lang === 'en' ? 'en' : 'vi');
  function t(key, ...args) {
    const v = I18N[lang()][key] !== undefined ? I18N[lang()][key] : I18N.vi[key];
    return typeof v === 'function' ? v(...args) : v;
  }
  const nf = (n, d = 0) => (n === null || n === undefined || !Number.isFinite(n) ? '–'
    : n.toLocaleString(lang() === 'en' ? 'en-US' : 'vi-VN', { minimumFractionDigits: d, maximumFractionDigits: d }));
  const pct = (s, d = 1) => (s === null || s === undefined ? '–' : `${nf(100 * s, d)} %`);

  // Covered share classes: ColorBrewer YlGnBu, 5 classes (colour-blind safe, prints in grey).
  const CLASSES = [0, 0.2, 0.4, 0.6, 0.8];
  const COLORS = ['#ffffcc', '#a1dab4', '#41b6c4', '#2c7fb8', '#253494'];
  const NO_DATA = '#d1d5db';
  const classOf = (s) => { let k = 0; for (let i = 0; i < CLASSES.length; i++) if (s >= CLASSES[i]) k = i; return k; };
  const BASE = new URL('.', location.href).href;

  // ------------------------------------------------------------------ state
  const st = {
    on: false, map: null, layouts: [], layout: '', radius: 10, kind: '', data: null, geomLayout: '',
    scenario: { add: [], remove: new Set() }, addMode: false, suggestions: [], sort: { key: 'covered_share', dir: 1 },
    seq: 0, hidden: [], layers: null, selected: '',
  };

  function el(tag, attrs, ...children) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') n.className = v;
      else if (k === 'text') n.textContent = v;
      else if (k.startsWith('on')) n.addEventListener(k.slice(2), v);
      else n.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) n.append(c instanceof Node ? c : String(c));
    return n;
  }
  function url(path, params) {
    const u = new URL(path, BASE);
    for (const [k, v] of Object.entries(params || {})) if (v !== '' && v !== null && v !== undefined) u.searchParams.set(k, v);
    return u.href;
  }
  async function fetchJson(path, params, init) {
    const res = await fetch(url(path, params), init);
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new Error((body && body.description) || `HTTP ${res.status}`);
    return body;
  }

  // ------------------------------------------------------------------ map layers
  function unitStyle(f) {
    const p = f.getProperties();
    const sel = st.selected && p.code === st.selected;
    const color = p.population === null || p.population === undefined ? NO_DATA : COLORS[classOf(p.covered_share)];
    return new ol.style.Style({
      fill: new ol.style.Fill({ color }),
      stroke: new ol.style.Stroke({ color: sel ? '#b91c1c' : 'rgba(51,65,85,0.75)', width: sel ? 3 : 0.8,
        lineDash: p.approximate ? [4, 3] : undefined }),
      zIndex: sel ? 2 : 1,
    });
  }
  const ringStyle = new ol.style.Style({
    stroke: new ol.style.Stroke({ color: 'rgba(185,28,28,0.85)', width: 1.5, lineDash: [6, 4] }),
    fill: new ol.style.Fill({ color: 'rgba(185,28,28,0.04)' }),
  });
  function siteStyle(f) {
    const kind = f.get('state');
    const color = kind === 'hypothetical' ? '#7c3aed' : kind === 'removed' ? '#9ca3af' : '#111827';
    const styles = [new ol.style.Style({
      image: new ol.style.Circle({ radius: kind === 'hypothetical' ? 7 : 5, fill: new ol.style.Fill({ color }),
        stroke: new ol.style.Stroke({ color: '#fff', width: 2 }) }),
      zIndex: 3,
    })];
    if (kind === 'removed') styles.push(new ol.style.Style({ text: new ol.style.Text({ text: '✕', font: 'bold 14px sans-serif', fill: new ol.style.Fill({ color: '#b91c1c' }) }) }));
    return styles;
  }
  function suggestionStyle(f) {
    return new ol.style.Style({
      image: new ol.style.RegularShape({ points: 5, radius: 11, radius2: 5, fill: new ol.style.Fill({ color: '#f59e0b' }),
        stroke: new ol.style.Stroke({ color: '#78350f', width: 1.5 }) }),
      text: new ol.style.Text({ text: `${f.get('rank')}. ${t('gain', nf(f.get('gain_population')))}`, offsetY: -20,
        font: '600 12px system-ui, sans-serif', fill: new ol.style.Fill({ color: '#78350f' }),
        stroke: new ol.style.Stroke({ color: '#fff', width: 3 }) }),
      zIndex: 4,
    });
  }

  function ensureLayers() {
    if (st.layers) return st.layers;
    const mk = (style, z, extra) => new ol.layer.Vector({ source: new ol.source.Vector(), style, zIndex: z, ...extra });
    st.layers = {
      units: mk(unitStyle, 40, { opacity: 0.78 }),
      rings: mk(ringStyle, 41),
      sites: mk(siteStyle, 42),
      suggestions: mk(suggestionStyle, 43, { declutter: true }),
    };
    for (const l of Object.values(st.layers)) l.set('planner', true);
    return st.layers;
  }

  /** The page's own tile layers are hidden while the planner shows its own units and sites. */
  function setBaseLayersHidden(hide) {
    if (hide) {
      st.hidden = [];
      st.map.getLayers().forEach((l) => {
        if (l instanceof ol.layer.VectorTile && l.getVisible()) { st.hidden.push(l); l.setVisible(false); }
      });
    } else {
      st.hidden.forEach((l) => l.setVisible(true));
      st.hidden = [];
    }
  }

  const fmt = new ol.format.GeoJSON({ featureProjection: 'EPSG:3857' });

  function drawUnits(doc, withGeometry) {
    const src = st.layers.units.getSource();
    if (withGeometry) {
      src.clear();
      src.addFeatures(fmt.readFeatures({ type: 'FeatureCollection', features: doc.features }));
    } else {
      const byCode = new Map(doc.features.map((f) => [f.properties.code, f.properties]));
      src.getFeatures().forEach((f) => { const p = byCode.get(f.get('code')); if (p) f.setProperties(p); });
      src.changed();
    }
  }

  function drawSites(doc) {
    const rings = st.layers.rings.getSource();
    const sites = st.layers.sites.getSource();
    rings.clear();
    sites.clear();
    const r = doc.radius_km * 1000;
    const all = doc.sites.map((s) => ({ ...s, state: s.hypothetical ? 'hypothetical' : 'real' }));
    for (const code of st.scenario.remove) {
      const s = (st.allSites || []).find((x) => x.code === code);
      if (s) all.push({ ...s, state: 'removed' });
    }
    const seen = new Set();
    for (const s of all) {
      const f = new ol.Feature({ geometry: new ol.geom.Point(ol.proj.fromLonLat([s.lon, s.lat])), ...s });
      sites.addFeature(f);
      const key = `${s.lon},${s.lat}`; // co-located institutions share one ring
      if (s.state === 'removed' || seen.has(key)) continue;
      seen.add(key);
      rings.addFeature(new ol.Feature(ol.geom.Polygon.circular([s.lon, s.lat], r, 96).transform('EPSG:4326', 'EPSG:3857')));
    }
  }

  function drawSuggestions() {
    const src = st.layers.suggestions.getSource();
    src.clear();
    for (const f of st.suggestions) {
      src.addFeature(new ol.Feature({ geometry: new ol.geom.Point(ol.proj.fromLonLat(f.geometry.coordinates)), ...f.properties }));
    }
  }

  // ------------------------------------------------------------------ panel
  let panel; let button; let tip;
  const q = (sel) => panel.querySelector(sel);

  function buildButton() {
    const bar = document.querySelector('#topbar') || document.body;
    button = el('button', { type: 'button', id: 'planner-toggle', class: 'chip-btn planner-toggle', 'aria-pressed': 'false',
      onclick: () => setOn(!st.on) });
    bar.insertBefore(button, bar.querySelector('#lang-toggle'));
  }

  function buildPanel() {
    panel = el('section', { id: 'planner', 'aria-labelledby': 'planner-title', hidden: true });
    tip = el('div', { id: 'planner-tip', class: 'map-tooltip', hidden: true });
    (document.querySelector('#map-wrap') || document.body).append(panel, tip);
    panel.addEventListener('click', onPanelClick);
    panel.addEventListener('input', onPanelInput);
    panel.addEventListener('change', onPanelInput);
  }

  function renderPanel() {
    const layoutOpts = st.layouts.map((l) => el('option', { value: l.name, selected: l.name === st.layout },
      `${l.name}${l.description ? ' — ' + l.description : ''}`));
    const kindOpts = [el('option', { value: '' }, t('all')), ...KINDS.map((k) => el('option', { value: k, selected: k === st.kind }, KIND_NAMES[lang()][k]))];
    panel.replaceChildren(
      el('header', { class: 'planner-head' },
        el('h2', { id: 'planner-title' }, t('title')),
        el('button', { type: 'button', class: 'icon-btn no-print', 'data-act': 'close', 'aria-label': t('close'), title: t('close') }, '✕')),
      el('div', { class: 'planner-controls no-print' },
        el('label', { class: 'planner-field' }, el('span', {}, t('layout')), el('select', { id: 'planner-layout' }, layoutOpts)),
        el('label', { class: 'planner-field' }, el('span', {}, `${t('radius')}: `, el('output', { id: 'planner-radius-out' }, `${st.radius} km`)),
          el('input', { id: 'planner-radius', type: 'range', min: 1, max: 50, step: 1, value: st.radius })),
        el('div', { class: 'planner-quick' }, [5, 10, 20].map((r) => el('button', { type: 'button', class: 'chip-btn', 'data-radius': r, 'aria-pressed': String(r === st.radius) }, `${r} km`))),
        el('label', { class: 'planner-field' }, el('span', {}, t('kind')), el('select', { id: 'planner-kind' }, kindOpts))),
      el('div', { id: 'planner-summary', 'aria-live': 'polite' }),
      el('div', { id: 'planner-legend' }),
      el('details', { class: 'planner-box no-print', open: true },
        el('summary', {}, t('suggest')),
        el('div', { class: 'planner-row' },
          el('label', {}, `${t('k')} `, el('input', { id: 'planner-k', type: 'number', min: 1, max: 20, value: 5 })),
          el('button', { type: 'button', class: 'chip-btn', 'data-act': 'suggest', id: 'planner-suggest' }, t('suggestRun'))),
        el('ol', { id: 'planner-suggestions' })),
      el('details', { class: 'planner-box no-print' },
        el('summary', {}, t('scenario')),
        el('p', { class: 'muted' }, t('scenarioHelp')),
        el('div', { class: 'planner-row' },
          el('button', { type: 'button', class: 'chip-btn', 'data-act': 'add-mode', id: 'planner-add', 'aria-pressed': String(st.addMode) }, st.addMode ? t('addModeOn') : t('addMode')),
          el('button', { type: 'button', class: 'link-btn', 'data-act': 'clear' }, t('clear'))),
        el('ul', { id: 'planner-scenario' })),
      el('div', { class: 'planner-row planner-downloads no-print' },
        el('span', {}, `${t('download')}:`),
        ['csv', 'xlsx', 'geojson'].map((f) => el('a', { class: 'chip-btn', 'data-format': f, download: '' }, f.toUpperCase())),
        el('button', { type: 'button', class: 'chip-btn', 'data-act': 'print' }, t('print'))),
      el('h3', {}, t('units')),
      el('div', { class: 'planner-table-wrap' }, el('table', { id: 'planner-table' })),
      el('p', { class: 'muted planner-method' }, t('method')));
    renderAll();
  }

  function renderAll() {
    renderSummary();
    renderLegend();
    renderTable();
    renderSuggestions();
    renderScenario();
    renderDownloads();
  }

  function renderSummary() {
    const box = q('#planner-summary');
    const d = st.data;
    if (!d) { box.replaceChildren(el('p', { class: 'muted' }, t('loading'))); return; }
    const s = d.summary;
    const rows = [
      [t('population'), nf(s.population)],
      [t('covered'), `${nf(s.covered_population)} (${pct(s.covered_share)})`],
      [t('meanDistance'), `${nf(s.mean_distance_km, 1)} km`],
      [t('worst'), s.worst_unit ? `${nf(s.worst_distance_km, 1)} km — ${s.worst_unit.name}` : '–'],
      [t('institutions'), nf(s.institutions)],
    ];
    const kids = [el('div', { class: 'planner-big', id: 'planner-share' }, pct(s.covered_share)),
      el('div', { class: 'muted' }, `${t('coveredShare')} · ${d.layout} · ${nf(d.radius_km)} km`),
      el('dl', {}, rows.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])),
      el('p', { class: 'planner-without' }, t('without', s.units_without))];
    if (d.baseline) {
      kids.push(el('p', { class: 'planner-change' }, `${t('baseline')}: ${pct(d.baseline.covered_share)} → ${pct(s.covered_share)} · ${t('change')}: ${d.change.covered_population >= 0 ? '+' : ''}${nf(d.change.covered_population)}`));
    }
    box.replaceChildren(...kids);
  }

  function swatch(color, cls) { return el('span', { class: `planner-swatch ${cls || ''}`, style: `background:${color}` }); }

  function renderLegend() {
    const r = st.radius;
    const items = CLASSES.map((c, i) => el('li', {}, swatch(COLORS[i]), `${Math.round(100 * c)}–${i + 1 < CLASSES.length ? Math.round(100 * CLASSES[i + 1]) : 100} %`));
    items.push(el('li', {}, swatch(NO_DATA), t('noPopulation')));
    items.push(el('li', {}, swatch('transparent', 'ring'), t('ring', r)));
    items.push(el('li', {}, swatch('#f59e0b', 'star'), t('suggested')));
    items.push(el('li', {}, swatch('#7c3aed', 'dot'), t('hypothetical')));
    q('#planner-legend').replaceChildren(el('div', { class: 'planner-legend-title' }, t('legend')), el('ul', {}, items));
  }

  const COLS = [
    ['name', 'name'], ['population', 'population'], ['covered_share', 'share'], ['covered_population', 'coveredPop'],
    ['nearest_km', 'nearest'], ['per_100k', 'per100k'],
  ];

  function renderTable() {
    const table = q('#planner-table');
    if (!st.data) { table.replaceChildren(); return; }
    const { key, dir } = st.sort;
    const rows = st.data.features.map((f) => f.properties).sort((a, b) => {
      const x = a[key]; const y = b[key];
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (typeof x === 'string' ? x.localeCompare(y, 'vi') : x - y) * dir;
    });
    const head = el('tr', {}, COLS.map(([k, label]) => el('th', { scope: 'col', 'aria-sort': k === key ? (dir > 0 ? 'ascending' : 'descending') : 'none' },
      el('button', { type: 'button', class: 'planner-sort', 'data-sort': k }, t(label), k === key ? (dir > 0 ? ' ▲' : ' ▼') : ''))));
    const body = rows.map((p) => el('tr', { 'data-code': p.code, class: p.code === st.selected ? 'selected' : null },
      el('td', {}, swatch(p.population === null ? NO_DATA : COLORS[classOf(p.covered_share)]), p.name, p.approximate ? el('span', { class: 'muted', title: t('approx') }, ' *') : ''),
      el('td', { class: 'num' }, nf(p.population)),
      el('td', { class: 'num' }, pct(p.covered_share, 0)),
      el('td', { class: 'num' }, nf(p.covered_population)),
      el('td', { class: 'num' }, nf(p.nearest_km, 1)),
      el('td', { class: 'num' }, nf(p.per_100k, 2))));
    table.replaceChildren(el('thead', {}, head), el('tbody', {}, body));
  }

  function renderSuggestions() {
    q('#planner-suggestions').replaceChildren(...st.suggestions.map((f, i) => el('li', {},
      `${f.properties.unit_name || '–'}: ${t('gain', nf(f.properties.gain_population))} → ${pct(f.properties.covered_share_after)} `,
      el('button', { type: 'button', class: 'link-btn', 'data-adopt': i }, t('adopt')))));
  }

  function renderScenario() {
    const items = [
      ...st.scenario.add.map((s, i) => el('li', {}, `＋ ${s.name} (${s.lon.toFixed(4)}, ${s.lat.toFixed(4)}) `,
        el('button', { type: 'button', class: 'link-btn', 'data-unadd': i }, '✕'))),
      ...[...st.scenario.remove].map((c) => el('li', {}, `− ${((st.allSites || []).find((s) => s.code === c) || { name: c }).name} `,
        el('button', { type: 'button', class: 'link-btn', 'data-unremove': c }, '✕'))),
    ];
    q('#planner-scenario').replaceChildren(...items);
    const add = q('#planner-add');
    add.setAttribute('aria-pressed', String(st.addMode));
    add.textContent = st.addMode ? t('addModeOn') : t('addMode');
  }

  function renderDownloads() {
    panel.querySelectorAll('a[data-format]').forEach((a) => {
      a.href = url('api/coverage', { layout: st.layout, radius_km: st.radius, kind: st.kind, f: a.dataset.format });
    });
  }

  // ------------------------------------------------------------------ data
  const scenarioActive = () => st.scenario.add.length > 0 || st.scenario.remove.size > 0;

  async function refresh() {
    if (!st.on || !st.layout) return;
    const seq = ++st.seq;
    const withGeometry = st.geomLayout !== st.layout;
    document.documentElement.dataset.plannerReady = 'loading';
    try {
      let doc;
      if (scenarioActive()) {
        doc = await fetchJson('api/coverage/whatif', null, {
          method: 'POST', headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ layout: st.layout, radius_km: st.radius, kind: st.kind || null, geometry: withGeometry,
            add: st.scenario.add, remove: [...st.scenario.remove] }),
        });
      } else {
        doc = await fetchJson('api/coverage', { layout: st.layout, radius_km: st.radius, kind: st.kind, geometry: withGeometry ? 'true' : 'false' });
        st.allSites = doc.sites;
      }
      if (seq !== st.seq) return;
      st.data = doc;
      drawUnits(doc, withGeometry);
      if (withGeometry) {
        st.geomLayout = st.layout;
        const ext = st.layers.units.getSource().getExtent();
        if (ext && Number.isFinite(ext[0])) st.map.getView().fit(ext, { padding: [30, 30, 30, 460], maxZoom: 12, duration: 0 });
      }
      drawSites(doc);
      renderAll();
      document.documentElement.dataset.plannerReady = 'true';
    } catch (e) {
      if (seq !== st.seq) return;
      q('#planner-summary').replaceChildren(el('p', { class: 'error' }, `${t('error')}: ${e.message}`));
      document.documentElement.dataset.plannerReady = 'error';
    }
  }

  async function suggest() {
    const k = Math.max(1, Math.min(20, Number(q('#planner-k').value) || 5));
    const btn = q('#planner-suggest');
    btn.disabled = true;
    try {
      const doc = await fetchJson('api/coverage/suggest', { layout: st.layout, radius_km: st.radius, kind: st.kind, k });
      st.suggestions = doc.features;
      drawSuggestions();
      renderSuggestions();
      document.documentElement.dataset.plannerSuggested = String(doc.features.length);
    } catch (e) {
      q('#planner-suggestions').replaceChildren(el('li', { class: 'error' }, e.message));
    } finally {
      btn.disabled = false;
    }
  }

  let radiusTimer = 0;
  function setRadius(r, now) {
    st.radius = r;
    q('#planner-radius').value = r;
    q('#planner-radius-out').textContent = `${r} km`;
    panel.querySelectorAll('[data-radius]').forEach((b) => b.setAttribute('aria-pressed', String(Number(b.dataset.radius) === r)));
    renderLegend();
    renderDownloads();
    st.suggestions = [];
    drawSuggestions();
    clearTimeout(radiusTimer);
    radiusTimer = setTimeout(refresh, now ? 0 : 250);
  }

  function onPanelInput(e) {
    if (e.target.id === 'planner-radius') setRadius(Number(e.target.value), e.type === 'change');
    else if (e.target.id === 'planner-kind' && e.type === 'change') { st.kind = e.target.value; st.suggestions = []; drawSuggestions(); renderDownloads(); refresh(); }
    else if (e.target.id === 'planner-layout' && e.type === 'change') {
      st.layout = e.target.value; st.scenario = { add: [], remove: new Set() }; st.suggestions = []; drawSuggestions(); renderDownloads(); refresh();
    }
  }

  function onPanelClick(e) {
    const b = e.target.closest('button, a');
    if (!b) return;
    const d = b.dataset;
    if (d.act === 'close') setOn(false);
    else if (d.radius) setRadius(Number(d.radius), true);
    else if (d.act === 'suggest') suggest();
    else if (d.act === 'print') window.print();
    else if (d.act === 'add-mode') { st.addMode = !st.addMode; renderScenario(); }
    else if (d.act === 'clear') { st.scenario = { add: [], remove: new Set() }; renderScenario(); refresh(); }
    else if (d.adopt !== undefined) {
      const f = st.suggestions[Number(d.adopt)];
      const [lon, lat] = f.geometry.coordinates;
      st.scenario.add.push({ lon, lat, name: `${t('suggested')} ${f.properties.rank}` });
      st.suggestions = [];
      drawSuggestions();
      refresh();
    } else if (d.unadd !== undefined) { st.scenario.add.splice(Number(d.unadd), 1); refresh(); }
    else if (d.unremove !== undefined) { st.scenario.remove.delete(d.unremove); refresh(); }
    else if (d.sort) {
      st.sort = { key: d.sort, dir: st.sort.key === d.sort ? -st.sort.dir : (d.sort === 'name' ? 1 : -1) };
      renderTable();
    }
  }

  function selectUnit(code, zoom) {
    st.selected = code;
    st.layers.units.changed();
    renderTable();
    const row = panel.querySelector(`tr[data-code="${CSS.escape(code)}"]`);
    if (row) row.scrollIntoView({ block: 'nearest' });
    if (zoom) {
      const f = st.layers.units.getSource().getFeatures().find((x) => x.get('code') === code);
      if (f) st.map.getView().fit(f.getGeometry().getExtent(), { padding: [60, 60, 60, 460], maxZoom: 13, duration: 300 });
    }
  }

  function onMapClick(evt) {
    if (!st.on) return;
    if (st.addMode) {
      const [lon, lat] = ol.proj.toLonLat(evt.coordinate);
      st.scenario.add.push({ lon: Number(lon.toFixed(6)), lat: Number(lat.toFixed(6)), name: t('newSite', st.scenario.add.length + 1) });
      st.addMode = false;
      refresh();
      return;
    }
    let site = null; let unit = null;
    st.map.forEachFeatureAtPixel(evt.pixel, (f, layer) => {
      if (layer === st.layers.sites && !site) site = f;
      if (layer === st.layers.units && !unit) unit = f;
    }, { hitTolerance: 4, layerFilter: (l) => l.get('planner') });
    if (site && site.get('code')) {
      const code = site.get('code');
      if (site.get('state') === 'hypothetical') {
        st.scenario.add = st.scenario.add.filter((s) => !(s.lon === site.get('lon') && s.lat === site.get('lat')));
      } else if (st.scenario.remove.has(code)) st.scenario.remove.delete(code);
      else st.scenario.remove.add(code);
      refresh();
    } else if (unit) selectUnit(unit.get('code'), false);
  }

  function onPointerMove(evt) {
    if (!st.on || evt.dragging) return;
    let hit = null;
    st.map.forEachFeatureAtPixel(evt.pixel, (f, layer) => { if (!hit) hit = { f, layer }; return true; },
      { hitTolerance: 3, layerFilter: (l) => l === st.layers.sites || l === st.layers.units || l === st.layers.suggestions });
    if (!hit) { tip.hidden = true; return; }
    const p = hit.f.getProperties();
    tip.textContent = hit.layer === st.layers.units
      ? `${p.name}: ${pct(p.covered_share)} · ${nf(p.covered_population)} / ${nf(p.population)} · ${nf(p.nearest_km, 1)} km`
      : hit.layer === st.layers.suggestions ? `${t('suggested')} ${p.rank}: ${p.unit_name} ${t('gain', nf(p.gain_population))}`
        : `${p.name}${p.state === 'removed' ? ' (✕)' : ''}`;
    tip.style.left = `${evt.pixel[0] + 14}px`;
    tip.style.top = `${evt.pixel[1] + 14}px`;
    tip.hidden = false;
  }

  // ------------------------------------------------------------------ on / off
  async function setOn(on) {
    st.on = on;
    button.setAttribute('aria-pressed', String(on));
    document.body.classList.toggle('planner-on', on);
    panel.hidden = !on;
    tip.hidden = true;
    const layers = ensureLayers();
    for (const l of Object.values(layers)) {
      if (on && !st.map.getLayers().getArray().includes(l)) st.map.addLayer(l);
      if (!on) st.map.removeLayer(l);
    }
    setBaseLayersHidden(on);
    if (!on) { delete document.documentElement.dataset.plannerReady; return; }
    if (!st.layouts.length) {
      try {
        st.layouts = (await fetchJson('api/coverage/layouts')).layouts.filter((l) => l.coverage_level);
      } catch (e) { st.layouts = []; }
      // Prefer the layout whose units carry population at the finest level (2025's communes).
      const rank = (l) => ({ commune: 3, district: 2, province: 1 }[l.coverage_level] || 0)
        + (l.levels.some((x) => x.level === l.coverage_level && x.with_population > 0) ? 10 : 0);
      const best = [...st.layouts].sort((a, b) => rank(b) - rank(a) || (b.is_default - a.is_default))[0];
      st.layout = best ? best.name : '';
    }
    renderPanel();
    refresh();
  }

  function start(map) {
    st.map = map;
    buildButton();
    buildPanel();
    button.textContent = t('toggle');
    button.title = t('toggleTitle');
    map.on('singleclick', onMapClick);
    map.on('pointermove', onPointerMove);
    // The page's language toggle sets <html lang>: follow it.
    new MutationObserver(() => {
      button.textContent = t('toggle');
      button.title = t('toggleTitle');
      if (st.on) renderPanel();
    }).observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
    // The print layout resizes the map: let OpenLayers redraw at the new size, and back.
    const resize = () => setTimeout(() => map.updateSize(), 0);
    window.addEventListener('beforeprint', resize);
    window.addEventListener('afterprint', resize);
    if (/[#&]planner\b/.test(location.hash)) setOn(true);
  }

  // Wait for app.js to create the map (it does so after loading /api/config).
  (function waitForMap(tries) {
    const m = window.vetmap && window.vetmap.map;
    if (m && typeof ol !== 'undefined') start(m);
    else if (tries > 0) setTimeout(() => waitForMap(tries - 1), 100);
  })(600);
})();
