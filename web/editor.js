// editor.js — accounts and editing on the web map (the API is described in src/api_auth.h).
//
//   everyone      Log in (and set a password from an activation link: #activate=TOKEN)
//   school        "My institution": a form of the editable fields, a pin to drag on the map,
//                 the status of its pending change request
//   admin         the moderation queue (before / after, approve / reject with a comment), history
//                 with revert, editing any institution, and accounts (create, disable, reset)
//
// It needs only window.vetmap.map (the OpenLayers map, from app.js) and the #account-btn hook in
// index.html.  The session cookie is HttpOnly; the CSRF token returned at login is kept in memory
// and sent as X-CSRF-Token on every state-changing request.  Edits are JSON merge patches sent
// with If-Match (the item's ETag), so two people editing at once get "changed meanwhile" (412)
// instead of silently overwriting each other.
(() => {
  'use strict';

  const I18N = {
    vi: {
      login: 'Đăng nhập', logout: 'Đăng xuất', email: 'Email', password: 'Mật khẩu', close: 'Đóng',
      loginFailed: 'Sai email hoặc mật khẩu.', tooMany: 'Đăng nhập sai quá nhiều lần. Thử lại sau {s} giây.',
      setPassword: 'Đặt mật khẩu', newPassword: 'Mật khẩu mới (ít nhất 10 ký tự)', activated: 'Đã đặt mật khẩu. Mời đăng nhập.',
      mine: 'Cơ sở của tôi', queue: 'Kiểm duyệt', history: 'Lịch sử', accounts: 'Tài khoản', editAny: 'Sửa cơ sở',
      name: 'Tên', address: 'Địa chỉ', phone: 'Điện thoại', website: 'Trang web', description: 'Giới thiệu',
      programs: 'Ngành, nghề đào tạo', location: 'Vị trí', occupationCode: 'Mã nghề', occupationName: 'Tên nghề',
      level: 'Trình độ', quota: 'Chỉ tiêu/năm', addProgram: 'Thêm nghề', remove: 'Xoá',
      dragPin: 'Kéo ghim đỏ trên bản đồ đến đúng cổng trường.', placePin: 'Đặt ghim ở giữa bản đồ', noLocation: 'Chưa có vị trí',
      save: 'Lưu thay đổi', saving: 'Đang lưu…', saved: 'Đã lưu và công bố.',
      savedPending: 'Đã gửi. Các thay đổi sau chờ Sở duyệt: {f}.', nothingChanged: 'Không có gì thay đổi.',
      stale: 'Dữ liệu vừa được người khác thay đổi; đã tải lại, mời sửa lại.', pending: 'Đang chờ duyệt',
      noPending: 'Không có thay đổi nào đang chờ duyệt.', reasons: 'Lý do chờ duyệt', submittedBy: 'Gửi bởi',
      field: 'Trường', before: 'Trước', after: 'Sau', comment: 'Ghi chú', approve: 'Duyệt', reject: 'Từ chối',
      queueEmpty: 'Không có yêu cầu nào đang chờ.', approved: 'Đã duyệt.', rejected: 'Đã từ chối.',
      code: 'Mã cơ sở', load: 'Mở', revertTo: 'Khôi phục phiên bản {v}', reverted: 'Đã khôi phục phiên bản {v}.',
      role: 'Vai trò', institution: 'Cơ sở', state: 'Trạng thái', lastLogin: 'Đăng nhập gần nhất',
      disable: 'Khoá', enable: 'Mở khoá', reset: 'Cấp lại', create: 'Tạo tài khoản', activationLink: 'Gửi đường dẫn kích hoạt này cho người dùng (dùng một lần, 7 ngày):',
      active: 'đang dùng', disabled: 'đã khoá', awaiting: 'chờ kích hoạt', never: 'chưa',
      error: 'Lỗi', warning: 'Lưu ý', sessionEnded: 'Phiên đăng nhập đã hết. Mời đăng nhập lại.',
      actionEdit: 'Sửa', actionApprove: 'Duyệt', actionRevert: 'Khôi phục', actionIngest: 'Nhập dữ liệu',
      lastDecision: 'Yêu cầu gần nhất', statusApproved: 'đã duyệt', statusRejected: 'bị từ chối',
      badActivationLink: 'Đường dẫn kích hoạt không đầy đủ hoặc không hợp lệ.',
      badActivationHelp: 'Hãy mở đúng đường dẫn trong thư (sao chép cả dòng, kể cả phần sau dấu #activate=), hoặc đề nghị Sở cấp lại đường dẫn mới.',
    },
    en: {
      login: 'Log in', logout: 'Log out', email: 'Email', password: 'Password', close: 'Close',
      loginFailed: 'Wrong email or password.', tooMany: 'Too many failed logins. Try again in {s} s.',
      setPassword: 'Set password', newPassword: 'New password (at least 10 characters)', activated: 'Password set. Please log in.',
      mine: 'My institution', queue: 'Moderation', history: 'History', accounts: 'Accounts', editAny: 'Edit institution',
      name: 'Name', address: 'Address', phone: 'Phone', website: 'Website', description: 'Description',
      programs: 'Programs', location: 'Location', occupationCode: 'Code', occupationName: 'Occupation',
      level: 'Level', quota: 'Places/year', addProgram: 'Add program', remove: 'Remove',
      dragPin: 'Drag the red pin on the map to the school gate.', placePin: 'Place the pin at the map centre', noLocation: 'No location yet',
      save: 'Save changes', saving: 'Saving…', saved: 'Saved and published.',
      savedPending: 'Sent. These changes wait for approval: {f}.', nothingChanged: 'Nothing changed.',
      stale: 'Someone changed this meanwhile; reloaded, please edit again.', pending: 'Waiting for approval',
      noPending: 'No changes waiting for approval.', reasons: 'Why it waits', submittedBy: 'Sent by',
      field: 'Field', before: 'Before', after: 'After', comment: 'Comment', approve: 'Approve', reject: 'Reject',
      queueEmpty: 'No requests waiting.', approved: 'Approved.', rejected: 'Rejected.',
      code: 'Institution code', load: 'Open', revertTo: 'Revert to version {v}', reverted: 'Reverted to version {v}.',
      role: 'Role', institution: 'Institution', state: 'State', lastLogin: 'Last login',
      disable: 'Disable', enable: 'Enable', reset: 'Reset', create: 'Create account', activationLink: 'Send this activation link to the user (one use, 7 days):',
      active: 'active', disabled: 'disabled', awaiting: 'awaiting activation', never: 'never',
      error: 'Error', warning: 'Note', sessionEnded: 'Your session ended. Please log in again.',
      actionEdit: 'Edit', actionApprove: 'Approval', actionRevert: 'Revert', actionIngest: 'Import',
      lastDecision: 'Latest request', statusApproved: 'approved', statusRejected: 'rejected',
      badActivationLink: 'This activation link is incomplete or invalid.',
      badActivationHelp: 'Open the exact link from the message (copy the whole line, including everything after #activate=), or ask for a new one.',
    },
  };

  // The server's messages ({code, description, params}, src/message.h) in Vietnamese, by code; any
  // other code (and English) shows the server's description.  {key} is a parameter; {n} the
  // 1-based program number, {fieldName(s)} the field labels (mid-sentence), {levelName} commune/district.
  const MESSAGES_VI = {
    body_missing: 'Yêu cầu thiếu nội dung.', body_nul: 'Nội dung chứa ký tự NUL.',
    body_not_json: 'Nội dung không phải JSON hợp lệ (gần byte {offset}).',
    patch_not_object: 'Nội dung phải là một JSON merge patch của cơ sở.', type_not_feature: '"type" phải là "Feature".',
    id_readonly: 'Không được đổi mã cơ sở.', location_removed: 'Không thể xoá vị trí, chỉ có thể di chuyển.',
    properties_not_object: '"properties" phải là một đối tượng.', property_not_editable: 'Không được sửa mục "{property}".',
    member_not_editable: 'Không được sửa mục "{member}".',
    field_required: 'Cần nhập {fieldName}.', field_not_string: 'Mục {fieldName} phải là chữ hoặc để trống.',
    field_not_utf8: 'Mục {fieldName} không phải văn bản UTF-8 hợp lệ.', field_control_char: 'Mục {fieldName} chứa ký tự điều khiển.',
    field_too_long: 'Mục {fieldName} dài quá {max_bytes} byte.',
    phone_chars: 'Điện thoại chỉ được gồm chữ số, dấu cách và các ký tự + - ( ) . , ; /',
    phone_too_few_digits: 'Điện thoại cần ít nhất 3 chữ số.',
    website_scheme: 'Trang web phải bắt đầu bằng http:// hoặc https://',
    website_not_one_url: 'Trang web phải là một địa chỉ, không có dấu cách hay dấu ngoặc kép.',
    email_invalid: 'Email không đúng dạng địa chỉ email.',
    programs_not_array: 'Danh sách ngành, nghề không hợp lệ.', programs_too_many: 'Tối đa {max} ngành, nghề.',
    program_not_object: 'Ngành, nghề thứ {n} không hợp lệ.', program_unknown_member: 'Ngành, nghề thứ {n} có mục lạ "{member}".',
    program_quota_invalid: 'Chỉ tiêu/năm của ngành, nghề thứ {n} phải là số nguyên từ 0 đến 1.000.000 hoặc để trống.',
    geometry_not_point: 'Vị trí phải là một điểm.', geometry_unknown_member: 'Vị trí có mục lạ "{member}".',
    coordinates_shape: 'Toạ độ phải có dạng [kinh độ, vĩ độ].',
    coordinates_not_finite: 'Toạ độ phải là số độ (kinh độ -180..180, vĩ độ -90..90).',
    location_outside_region: 'Vị trí ({lon}, {lat}) nằm ngoài vùng bản đồ phục vụ.',
    edit_not_own: 'Tài khoản cơ sở chỉ được sửa cơ sở của mình.', revert_admin_only: 'Chỉ quản trị viên được khôi phục phiên bản.',
    decide_admin_only: 'Chỉ quản trị viên được duyệt yêu cầu.', institution_not_found: 'Không có cơ sở nào mã "{code}".',
    change_not_found: 'Không có yêu cầu #{id}.', version_not_found: 'Lịch sử của {code} không có phiên bản {version}.',
    change_not_pending: 'Yêu cầu #{id} không còn chờ duyệt.',
    change_outdated: 'Các trường {fieldNames} đã thay đổi từ khi gửi yêu cầu này; hãy từ chối và đề nghị gửi lại.',
    institution_gone: 'Cơ sở {code} không còn tồn tại.', stale_version: 'Cơ sở vừa được người khác thay đổi (nay là phiên bản {version}).',
    if_match_required: 'Thiếu phiên bản (If-Match) của cơ sở; mời tải lại.',
    database_busy: 'Hệ thống đang bận; thử lại sau giây lát.', database_error: 'Lỗi cơ sở dữ liệu trên máy chủ.',
    out_of_memory: 'Máy chủ hết bộ nhớ.',
    wait_rename: 'Đổi tên luôn phải chờ Sở duyệt.', wait_first_location: 'Vị trí đầu tiên phải chờ Sở duyệt.',
    wait_far_move: 'Điểm dời {distance_m} m (quá {max_m} m).', wait_field: 'Thay đổi {fieldName} phải chờ Sở duyệt.',
    outside_own_unit: 'Vị trí mới nằm ngoài {levelName} của cơ sở (mã {unit}).',
    location_in_no_unit: 'Vị trí mới không thuộc đơn vị hành chính nào (bộ ranh giới {layout}): xã, huyện, tỉnh để trống.',
    login_required: 'Mời đăng nhập (chưa đăng nhập hoặc phiên đã hết).', csrf_invalid: 'Phiên làm việc không hợp lệ; mời tải lại trang.',
    admin_required: 'Việc này cần tài khoản quản trị.', own_institution_only: 'Tài khoản cơ sở chỉ xem được cơ sở của mình.',
    login_failed: 'Sai email hoặc mật khẩu.', login_locked: 'Đăng nhập sai quá nhiều lần. Thử lại sau {seconds} giây.',
    activation_token_invalid: 'Đường dẫn kích hoạt không đúng, đã dùng hoặc đã hết hạn. Hãy đề nghị Sở cấp lại.',
    password_invalid: 'Mật khẩu không hợp lệ (cần từ 10 đến 1024 byte).',
    account_email_invalid: '"{email}" không phải là địa chỉ email.', account_exists: 'Đã có tài khoản với email {email}.',
    account_invalid: 'Không tạo được tài khoản: kiểm tra vai trò và mã cơ sở.',
    account_self_disable: 'Quản trị viên không thể tự khoá tài khoản của mình.',
  };
  const lang = () => (document.documentElement.lang === 'en' ? 'en' : 'vi');
  const t = (k, vars = {}) => String(I18N[lang()][k] ?? I18N.vi[k] ?? k).replace(/\{(\w+)\}/g, (_, v) => vars[v] ?? '');

  const TEXT_FIELDS = ['name', 'address', 'phone', 'email', 'website'];
  const SESSION_HINT = 'vetmap.session';   // set while logged in, so visitors never ask for a session

  const state = {
    account: null, csrf: null, tab: null, message: null,
    edit: null,          // {code, etag, published, pending, moved, lonlat}
    pinLayer: null, pinSource: null, translate: null,
  };

  // ------------------------------------------------------------------ helpers
  function el(tag, attrs, ...children) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) n.addEventListener(k.slice(2), v);
      else if (k === 'class') n.className = v;
      else n.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) n.append(c instanceof Node ? c : String(c));
    return n;
  }

  async function call(method, path, { json, merge = false, ifMatch } = {}) {
    const headers = { Accept: 'application/json' };
    if (json !== undefined) headers['Content-Type'] = merge ? 'application/merge-patch+json' : 'application/json';
    if (method !== 'GET' && state.csrf) headers['X-CSRF-Token'] = state.csrf;
    if (ifMatch) headers['If-Match'] = ifMatch;
    const res = await fetch(path, {
      method, headers, credentials: 'same-origin', cache: 'no-store',
      body: json !== undefined ? JSON.stringify(json) : undefined,
    });
    let data = null;
    try { data = res.status === 204 ? null : await res.json(); } catch (e) { data = null; }
    if (res.status === 401 && state.account && path !== 'api/session') sessionEnded();
    return { status: res.status, ok: res.ok, data, etag: res.headers.get('ETag') };
  }

  /** A server message in the page's language: Vietnamese for known codes, else its English description
   *  (a plain string, as in change requests made before messages had codes, is shown as it is). */
  function msgText(m) {
    if (!m || typeof m !== 'object') return m == null ? '' : String(m);
    const tpl = lang() === 'vi' && MESSAGES_VI[m.code];
    if (!tpl) return m.description || m.code;
    const p = m.params || {};
    const extra = {
      n: p.index != null ? p.index + 1 : '',
      fieldName: p.field != null ? paramFieldLabel(p.field).toLocaleLowerCase('vi') : '',
      fieldNames: p.fields != null ? String(p.fields).split(', ').map((f) => fieldLabel(f).toLocaleLowerCase('vi')).join(', ') : '',
      levelName: { commune: 'xã/phường', district: 'quận/huyện' }[p.level] || p.level || '',
    };
    return tpl.replace(/\{(\w+)\}/g, (_, k) => String(extra[k] ?? p[k] ?? ''));
  }
  /** A field named by a message: "phone", or "programs[2].occupation_name" (the 3rd program's name). */
  function paramFieldLabel(f) {
    const m = /^programs\[(\d+)\]\.(\w+)$/.exec(f);
    if (!m) return fieldLabel(f);
    const sub = { occupation_code: 'occupationCode', occupation_name: 'occupationName', level: 'level', annual_quota: 'quota' }[m[2]];
    return `${t('programs')} ${Number(m[1]) + 1}: ${sub ? t(sub) : m[2]}`;
  }
  const msgList = (list) => (list || []).map(msgText).join('; ');
  const errorText = (r) => (r.data && (r.data.message ? msgText(r.data.message) : r.data.description)) || `HTTP ${r.status}`;
  /** A server time (ISO 8601, UTC) as the page shows times (format.js). */
  const fmtTime = window.vetmapFormat.dateTime;
  const isAdmin = () => state.account && state.account.role === 'admin';

  function show(msg, kind = 'info') {
    state.message = msg ? { msg, kind } : null;
    const box = document.querySelector('#editor-message');
    if (!box) return;
    box.hidden = !msg;
    box.textContent = msg || '';
    box.dataset.kind = kind;
  }

  function fmtValue(field, v) {
    if (v === null || v === undefined || v === '') return '—';
    if (field === 'location') return v.coordinates ? `${v.coordinates[0].toFixed(6)}, ${v.coordinates[1].toFixed(6)}` : '—';
    if (field === 'programs') return v.length ? v.map((p) => p.occupation_name + (p.annual_quota != null ? ` (${p.annual_quota})` : '')).join('; ') : '—';
    return String(v);
  }
  const fieldValue = (snap, f) => (f === 'location' ? snap && snap.geometry : snap && snap.properties && snap.properties[f]);
  const fieldLabel = (f) => t(f === 'email' ? 'email' : f);

  function diffTable(fields, before, after) {
    return el('table', { class: 'editor-diff' },
      el('thead', null, el('tr', null, el('th', null, t('field')), el('th', null, t('before')), el('th', null, t('after')))),
      el('tbody', null, fields.map((f) => el('tr', { 'data-field': f },
        el('th', { scope: 'row' }, fieldLabel(f)),
        el('td', { class: 'before' }, fmtValue(f, fieldValue(before, f))),
        el('td', { class: 'after' }, fmtValue(f, fieldValue(after, f)))))));
  }

  // ------------------------------------------------------------------ panel
  let panel;
  let body;

  function ensurePanel() {
    if (panel) return;
    panel = el('section', { id: 'editor-panel', class: 'editor', 'aria-labelledby': 'editor-title', hidden: true });
    body = el('div', { class: 'editor-body' });
    panel.append(
      el('header', { class: 'editor-head' },
        el('h2', { id: 'editor-title' }),
        el('button', { type: 'button', class: 'icon-btn', id: 'editor-close', 'aria-label': t('close'), title: t('close'), onclick: closePanel }, '✕')),
      el('nav', { class: 'editor-tabs', id: 'editor-tabs' }),
      el('p', { id: 'editor-message', role: 'status', 'aria-live': 'polite', hidden: true }),
      body);
    (document.querySelector('#map-wrap') || document.body).append(panel);
  }

  function openPanel(tab) {
    ensurePanel();
    panel.hidden = false;
    document.body.classList.add('editor-open');
    render(tab);
  }

  function closePanel() {
    if (panel) panel.hidden = true;
    document.body.classList.remove('editor-open');
    removePin();
  }

  function tabsFor() {
    if (!state.account) return [];
    if (isAdmin()) return ['queue', 'editAny', 'history', 'accounts'];
    return ['mine', 'history'];
  }

  function render(tab) {
    ensurePanel();
    const tabs = tabsFor();
    state.tab = tab || (tabs.includes(state.tab) ? state.tab : tabs[0]) || 'login';
    if (state.tab !== 'mine' && state.tab !== 'editAny') removePin();
    const nav = panel.querySelector('#editor-tabs');
    nav.replaceChildren(...tabs.map((k) => el('button', {
      type: 'button', class: 'editor-tab', 'data-tab': k, 'aria-pressed': String(k === state.tab), onclick: () => render(k),
    }, t(k))));
    if (state.account) {
      nav.append(el('span', { class: 'editor-who muted' }, state.account.email),
        el('button', { type: 'button', class: 'link-btn', id: 'editor-logout', onclick: logout }, t('logout')));
    }
    panel.querySelector('#editor-title').textContent = state.account ? t(state.tab) : t(state.tab === 'activate' ? 'setPassword' : 'login');
    show(state.message && state.message.msg, state.message && state.message.kind);
    body.replaceChildren();
    body.dataset.view = state.tab;
    const views = { login: viewLogin, activate: viewActivate, mine: viewMine, editAny: viewEditAny, queue: viewQueue, history: viewHistory, accounts: viewAccounts };
    (views[state.tab] || viewLogin)();
  }

  function updateButton() {
    const btn = document.querySelector('#account-btn');
    if (!btn) return;
    btn.hidden = false;
    btn.textContent = state.account ? (isAdmin() ? t('queue') : t('mine')) : t('login');
    btn.title = state.account ? state.account.email : t('login');
  }

  // ------------------------------------------------------------------ session
  function setSession(data) {
    state.account = data.account;
    state.csrf = data.csrf_token;
    try { localStorage.setItem(SESSION_HINT, '1'); } catch (e) { /* storage blocked */ }
    document.documentElement.dataset.editorRole = data.account.role;
    updateButton();
  }

  function clearSession() {
    state.account = null;
    state.csrf = null;
    state.edit = null;
    try { localStorage.removeItem(SESSION_HINT); } catch (e) { /* ignore */ }
    delete document.documentElement.dataset.editorRole;
    removePin();
    updateButton();
  }

  function sessionEnded() {
    clearSession();
    state.message = { msg: t('sessionEnded'), kind: 'error' };
    if (panel && !panel.hidden) render('login');
  }

  async function restoreSession() {
    let hinted = false;
    try { hinted = localStorage.getItem(SESSION_HINT) === '1'; } catch (e) { hinted = false; }
    if (!hinted) return;
    const r = await call('GET', 'api/session');
    if (r.status === 200) setSession(r.data);
    else clearSession();
  }

  async function logout() {
    await call('DELETE', 'api/session');
    clearSession();
    show(null);
    render('login');
  }

  function viewLogin() {
    const form = el('form', { id: 'editor-login', class: 'editor-form' },
      el('label', null, t('email'), el('input', { type: 'email', name: 'email', autocomplete: 'username', required: true })),
      el('label', null, t('password'), el('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true })),
      el('button', { type: 'submit', class: 'primary-btn' }, t('login')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const fd = new FormData(form);
      const r = await call('POST', 'api/session', { json: { email: fd.get('email'), password: fd.get('password') } });
      if (r.status === 200) {
        setSession(r.data);
        show(null);
        render();
      } else if (r.status === 429) {
        const p = r.data && r.data.message && r.data.message.params;
        show(t('tooMany', { s: (p && p.seconds) || (r.data && r.data.description.match(/\d+/)) || '' }), 'error');
      } else if (r.status === 401) {
        show(t('loginFailed'), 'error');
      } else {
        show(`${t('error')}: ${errorText(r)}`, 'error');
      }
    });
    body.append(form);
  }

  function viewActivate() {
    if (!state.activationToken) {
      // A cut or mistyped link: say so (the message above) and what to do, rather than nothing.
      body.append(el('p', { id: 'editor-activate-invalid', class: 'muted' }, t('badActivationHelp')));
      return;
    }
    const form = el('form', { id: 'editor-activate', class: 'editor-form' },
      el('label', null, t('newPassword'), el('input', { type: 'password', name: 'password', autocomplete: 'new-password', minlength: 10, required: true })),
      el('button', { type: 'submit', class: 'primary-btn' }, t('setPassword')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const r = await call('POST', 'api/activate', { json: { token: state.activationToken, password: new FormData(form).get('password') } });
      if (r.ok) {
        state.activationToken = null;
        show(t('activated'));
        render('login');
      } else {
        show(`${t('error')}: ${errorText(r)}`, 'error');
      }
    });
    body.append(form);
  }

  // ------------------------------------------------------------------ the institution form + pin
  function viewMine() { loadInstitution(state.account.institution_code); }

  function viewEditAny() {
    const form = el('form', { class: 'editor-inline', id: 'editor-pick' },
      el('label', null, t('code'), el('input', { name: 'code', required: true, value: (state.edit && state.edit.code) || '' })),
      el('button', { type: 'submit', class: 'chip-btn' }, t('load')));
    form.addEventListener('submit', (ev) => { ev.preventDefault(); loadInstitution(new FormData(form).get('code').trim()); });
    body.append(form, el('div', { id: 'editor-form-slot' }));
    if (state.edit && state.edit.code) loadInstitution(state.edit.code);
  }

  async function loadInstitution(code) {
    const r = await call('GET', `api/institutions/${encodeURIComponent(code)}`);
    if (!r.ok) { show(`${t('error')}: ${errorText(r)}`, 'error'); return; }
    state.edit = { code, etag: r.data.etag, published: r.data.published, pending: r.data.pending, moved: false, lonlat: null };
    renderForm();
  }

  /** The values the form starts from: published, with the pending proposal on top. */
  function proposed() {
    const e = state.edit;
    const snap = JSON.parse(JSON.stringify(e.published));
    if (e.pending) {
      for (const f of e.pending.fields) {
        if (f === 'location') { snap.geometry = e.pending.after.geometry; } else snap.properties[f] = e.pending.after.properties[f];
      }
    }
    return snap;
  }

  function programRow(p = {}) {
    const input = (name, v, attrs = {}) => el('input', { name, value: v ?? '', ...attrs });
    return el('tr', { class: 'program-row' },
      el('td', null, input('occupation_code', p.occupation_code, { size: 7, 'aria-label': t('occupationCode') })),
      el('td', null, input('occupation_name', p.occupation_name, { required: true, 'aria-label': t('occupationName') })),
      el('td', null, input('level', p.level, { size: 10, 'aria-label': t('level') })),
      el('td', null, input('annual_quota', p.annual_quota, { type: 'number', min: 0, step: 1, 'aria-label': t('quota') })),
      el('td', null, el('button', { type: 'button', class: 'link-btn', onclick: (ev) => ev.target.closest('tr').remove() }, t('remove'))));
  }

  function renderForm() {
    const e = state.edit;
    const snap = proposed();
    const p = snap.properties;
    const progBody = el('tbody', null, (p.programs || []).map(programRow));
    const lonlat = el('output', { id: 'editor-lonlat' });
    const form = el('form', { id: 'editor-form', class: 'editor-form', 'data-code': e.code },
      TEXT_FIELDS.map((f) => el('label', null, fieldLabel(f), el('input', { name: f, value: p[f] ?? '', type: f === 'email' ? 'email' : 'text', required: f === 'name' }))),
      el('label', null, t('description'), el('textarea', { name: 'description', rows: 3 }, p.description ?? '')),
      el('fieldset', null, el('legend', null, t('programs')),
        el('table', { class: 'editor-programs' },
          el('thead', null, el('tr', null, ['occupationCode', 'occupationName', 'level', 'quota', ''].map((k) => el('th', null, k ? t(k) : '')))),
          progBody),
        el('button', { type: 'button', class: 'link-btn', onclick: () => progBody.append(programRow()) }, t('addProgram'))),
      el('fieldset', null, el('legend', null, t('location')),
        el('p', { class: 'muted' }, t('dragPin')), lonlat,
        el('button', { type: 'button', class: 'link-btn', id: 'editor-place-pin', onclick: placePinAtCentre }, t('placePin'))),
      el('button', { type: 'submit', class: 'primary-btn', id: 'editor-save' }, t('save')),
      el('div', { id: 'editor-pending' }));
    form.addEventListener('submit', (ev) => { ev.preventDefault(); save(form); });
    const slot = body.querySelector('#editor-form-slot');
    (slot || body).replaceChildren(...(slot ? [] : [...body.children].filter((n) => n.id === 'editor-pick')), form);
    form.dataset.state = 'ready';
    renderPending();
    const coords = snap.geometry && snap.geometry.coordinates;
    e.lonlat = coords ? [coords[0], coords[1]] : null;
    showLonLat();
    setPin(e.lonlat, { centre: true });
  }

  async function renderPending() {
    const box = document.querySelector('#editor-pending');
    if (!box) return;
    const ch = state.edit.pending;
    box.replaceChildren();
    box.dataset.state = ch ? 'pending' : 'none';
    if (!ch) box.append(el('p', { class: 'muted' }, t('noPending')));
    else {
      box.append(el('h3', null, `${t('pending')} (#${ch.id})`),
        el('p', { class: 'muted' }, `${t('submittedBy')} ${ch.author}, `, el('time', { datetime: ch.created_at }, fmtTime(ch.created_at))),
        diffTable(ch.fields, ch.before, ch.after),
        el('p', { class: 'editor-reasons' }, el('strong', null, `${t('reasons')}: `), msgList(ch.reasons)));
    }
    // The latest decision on this institution's requests, with the moderator's comment.
    const r = await call('GET', `api/changes?status=all&limit=10&institution=${encodeURIComponent(state.edit.code)}`);
    const last = r.ok && r.data.changes.find((c) => c.status === 'approved' || c.status === 'rejected');
    if (last) {
      box.append(el('p', { class: 'editor-last', 'data-status': last.status },
        el('strong', null, `${t('lastDecision')} #${last.id}: `),
        `${t(last.status === 'approved' ? 'statusApproved' : 'statusRejected')} — ${last.decider || ''}, `,
        el('time', { datetime: last.decided_at || '' }, fmtTime(last.decided_at)),
        last.comment ? ` — “${last.comment}”` : ''));
    }
  }

  function showLonLat() {
    const out = document.querySelector('#editor-lonlat');
    if (!out) return;
    const ll = state.edit && state.edit.lonlat;
    out.textContent = ll ? `${ll[0].toFixed(6)}, ${ll[1].toFixed(6)}` : t('noLocation');
    out.dataset.lon = ll ? String(ll[0]) : '';
    out.dataset.lat = ll ? String(ll[1]) : '';
  }

  const theMap = () => (window.vetmap && window.vetmap.map) || null;

  function setPin(lonlat, { centre = false } = {}) {
    const map = theMap();
    if (!map || !window.ol) return;
    if (!state.pinLayer) {
      state.pinSource = new ol.source.Vector();
      state.pinLayer = new ol.layer.Vector({
        source: state.pinSource,
        zIndex: 30,
        className: 'editor-pin-layer',
        style: new ol.style.Style({
          image: new ol.style.Circle({ radius: 11, fill: new ol.style.Fill({ color: '#dc2626' }), stroke: new ol.style.Stroke({ color: '#ffffff', width: 3 }) }),
        }),
      });
      state.translate = new ol.interaction.Translate({ layers: [state.pinLayer], hitTolerance: 8 });
      state.translate.on('translateend', (ev) => {
        const g = ev.features.item(0).getGeometry();
        state.edit.lonlat = ol.proj.toLonLat(g.getCoordinates());
        state.edit.moved = true;
        showLonLat();
      });
      map.addLayer(state.pinLayer);
      map.addInteraction(state.translate);
    }
    state.pinSource.clear();
    if (!lonlat) return;
    const xy = ol.proj.fromLonLat(lonlat);
    state.pinSource.addFeature(new ol.Feature({ geometry: new ol.geom.Point(xy) }));
    if (centre) {
      map.getView().setCenter(xy);
      map.getView().setZoom(16);
    }
  }

  function placePinAtCentre() {
    const map = theMap();
    if (!map || !state.edit) return;
    state.edit.lonlat = ol.proj.toLonLat(map.getView().getCenter());
    state.edit.moved = true;
    setPin(state.edit.lonlat);
    showLonLat();
  }

  function removePin() {
    const map = theMap();
    if (map && state.pinLayer) {
      map.removeInteraction(state.translate);
      map.removeLayer(state.pinLayer);
    }
    state.pinLayer = state.pinSource = state.translate = null;
  }

  function formPatch(form) {
    const fd = new FormData(form);
    const properties = {};
    for (const f of TEXT_FIELDS) properties[f] = fd.get(f).trim() || null;
    properties.description = fd.get('description').trim() || null;
    properties.programs = [...form.querySelectorAll('.program-row')].map((row) => {
      const v = (n) => row.querySelector(`[name="${n}"]`).value.trim();
      return {
        occupation_code: v('occupation_code') || null,
        occupation_name: v('occupation_name'),
        level: v('level') || null,
        annual_quota: v('annual_quota') === '' ? null : Number(v('annual_quota')),
      };
    }).filter((p) => p.occupation_name);
    const patch = { properties };
    // Only a pin the user moved is sent: the published point stays as stored.
    if (state.edit.moved && state.edit.lonlat) patch.geometry = { type: 'Point', coordinates: state.edit.lonlat };
    return patch;
  }

  async function save(form) {
    const e = state.edit;
    form.dataset.state = 'saving';
    show(t('saving'));
    const r = await call('PATCH', `api/collections/institutions/items/${encodeURIComponent(e.code)}`,
      { json: formPatch(form), merge: true, ifMatch: e.etag });
    if (r.status === 200 || r.status === 202) {
      const d = r.data;
      const msg = d.pending.length ? t('savedPending', { f: d.pending.map(fieldLabel).join(', ') })
        : d.published.length ? t('saved') : t('nothingChanged');
      const warn = d.warnings.length ? ` ${t('warning')}: ${msgList(d.warnings)}` : '';
      await loadInstitution(e.code);
      show(msg + warn, d.pending.length ? 'pending' : 'ok');
      const f = document.querySelector('#editor-form');
      if (f) f.dataset.state = d.pending.length ? 'pending' : 'saved';
    } else if (r.status === 412) {
      await loadInstitution(e.code);
      show(t('stale'), 'error');
    } else {
      form.dataset.state = 'error';
      show(`${t('error')}: ${errorText(r)}`, 'error');
    }
  }

  // ------------------------------------------------------------------ admin: queue, history, accounts
  async function viewQueue() {
    const list = el('div', { id: 'editor-queue', 'data-state': 'loading' });
    body.append(list);
    const r = await call('GET', 'api/changes?status=pending');
    if (!r.ok) { show(`${t('error')}: ${errorText(r)}`, 'error'); return; }
    list.dataset.state = 'done';
    if (!r.data.changes.length) list.append(el('p', { class: 'muted' }, t('queueEmpty')));
    for (const ch of r.data.changes) {
      const comment = el('input', { name: 'comment', 'aria-label': t('comment'), placeholder: t('comment') });
      const decide = async (verb) => {
        const d = await call('POST', `api/changes/${ch.id}/${verb}`, { json: { comment: comment.value.trim() || null } });
        const warn = d.ok && d.data.warnings && d.data.warnings.length ? ` ${t('warning')}: ${msgList(d.data.warnings)}` : '';
        if (d.ok) { show(t(verb === 'approve' ? 'approved' : 'rejected') + warn, 'ok'); render('queue'); } else show(`${t('error')}: ${errorText(d)}`, 'error');
      };
      list.append(el('article', { class: 'editor-change', 'data-id': ch.id, 'data-code': ch.institution_code },
        el('h3', null, `#${ch.id} ${ch.institution_code} — ${ch.institution_name || ''}`),
        el('p', { class: 'muted' }, `${t('submittedBy')} ${ch.author}, `, el('time', { datetime: ch.created_at }, fmtTime(ch.created_at))),
        diffTable(ch.fields, ch.before, ch.after),
        el('p', { class: 'editor-reasons' }, el('strong', null, `${t('reasons')}: `), msgList(ch.reasons)),
        el('div', { class: 'editor-inline' }, comment,
          el('button', { type: 'button', class: 'primary-btn approve', onclick: () => decide('approve') }, t('approve')),
          el('button', { type: 'button', class: 'chip-btn reject', onclick: () => decide('reject') }, t('reject')))));
    }
  }

  function viewHistory() {
    const own = !isAdmin();
    const form = el('form', { class: 'editor-inline', id: 'editor-history-pick' },
      el('label', null, t('code'), el('input', { name: 'code', required: true, readonly: own || null,
        value: own ? state.account.institution_code : ((state.edit && state.edit.code) || '') })),
      el('button', { type: 'submit', class: 'chip-btn' }, t('load')));
    const list = el('div', { id: 'editor-history' });
    form.addEventListener('submit', (ev) => { ev.preventDefault(); loadHistory(new FormData(form).get('code').trim(), list); });
    body.append(form, list);
    if (own || (state.edit && state.edit.code)) loadHistory(own ? state.account.institution_code : state.edit.code, list);
  }

  async function loadHistory(code, list) {
    const r = await call('GET', `api/collections/institutions/items/${encodeURIComponent(code)}/history`);
    if (!r.ok) { show(`${t('error')}: ${errorText(r)}`, 'error'); return; }
    const action = { edit: 'actionEdit', approve: 'actionApprove', revert: 'actionRevert', ingest: 'actionIngest' };
    list.replaceChildren(...r.data.entries.map((e) => el('article', { class: 'editor-change', 'data-id': e.id },
      el('h3', null, `v${e.version_before} → v${e.version_after}: ${t(action[e.action] || 'actionEdit')}`),
      el('p', { class: 'muted' }, `${e.actor}, `, el('time', { datetime: e.at }, fmtTime(e.at)), e.comment ? ` — ${e.comment}` : ''),
      diffTable(e.fields, e.before, e.after),
      isAdmin() && el('button', { type: 'button', class: 'chip-btn revert', onclick: async () => {
        const d = await call('POST', `api/collections/institutions/items/${encodeURIComponent(code)}/revert`, { json: { version: e.version_before } });
        if (d.ok) { show(t('reverted', { v: e.version_before }), 'ok'); loadHistory(code, list); } else show(`${t('error')}: ${errorText(d)}`, 'error');
      } }, t('revertTo', { v: e.version_before })))));
  }

  async function viewAccounts() {
    const table = el('table', { class: 'editor-accounts', id: 'editor-accounts' });
    const result = el('div', { id: 'editor-account-result' });
    const create = el('form', { class: 'editor-form', id: 'editor-account-create' },
      el('label', null, t('email'), el('input', { type: 'email', name: 'email', required: true })),
      el('label', null, t('role'), el('select', { name: 'role' }, el('option', { value: 'school' }, 'school'), el('option', { value: 'admin' }, 'admin'))),
      el('label', null, t('institution'), el('input', { name: 'institution_code' })),
      el('button', { type: 'submit', class: 'primary-btn' }, t('create')));
    const link = (token) => el('p', null, t('activationLink'), ' ',
      el('code', { class: 'activation-link' }, `${location.origin}${location.pathname}#activate=${token}`));
    create.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const fd = new FormData(create);
      const role = fd.get('role');
      const r = await call('POST', 'api/accounts', { json: { email: fd.get('email'), role, institution_code: role === 'school' ? fd.get('institution_code').trim() : null } });
      if (r.ok) { create.reset(); result.replaceChildren(link(r.data.activation_token)); refresh(); } else show(`${t('error')}: ${errorText(r)}`, 'error');
    });
    body.append(table, create, result);
    async function refresh() {
      const r = await call('GET', 'api/accounts');
      if (!r.ok) { show(`${t('error')}: ${errorText(r)}`, 'error'); return; }
      table.replaceChildren(
        el('thead', null, el('tr', null, ['email', 'role', 'institution', 'state', 'lastLogin', ''].map((k) => el('th', null, k ? t(k) : '')))),
        el('tbody', null, r.data.accounts.map((a) => el('tr', { 'data-id': a.id },
          // the address may break before its '@' first, and anywhere only if it must (editor.css)
          el('td', { class: 'acct-email' }, a.email.replace(/@.*/, ''), a.email.includes('@') ? [el('wbr'), a.email.replace(/^[^@]*/, '')] : null),
          el('td', { class: 'acct-role' }, a.role),
          el('td', { class: 'acct-code' }, a.institution_code || '—'),
          el('td', { class: 'acct-state' }, a.disabled ? t('disabled') : a.active ? t('active') : t('awaiting')),
          el('td', { class: 'acct-login' }, a.last_login_at ? fmtTime(a.last_login_at) : t('never')),
          el('td', null,
            el('button', { type: 'button', class: 'link-btn', onclick: async () => {
              const d = await call('PATCH', `api/accounts/${a.id}`, { json: { disabled: !a.disabled } });
              if (d.ok) refresh(); else show(`${t('error')}: ${errorText(d)}`, 'error');
            } }, a.disabled ? t('enable') : t('disable')), ' ',
            el('button', { type: 'button', class: 'link-btn', onclick: async () => {
              const d = await call('POST', `api/accounts/${a.id}/reset`);
              if (d.ok) { result.replaceChildren(link(d.data.activation_token)); refresh(); } else show(`${t('error')}: ${errorText(d)}`, 'error');
            } }, t('reset')))))));
    }
    refresh();
  }

  // ------------------------------------------------------------------ start
  async function start() {
    const btn = document.querySelector('#account-btn');
    if (btn) btn.addEventListener('click', () => (panel && !panel.hidden ? closePanel() : openPanel()));
    updateButton();
    if (location.hash.startsWith('#activate')) {
      // Tokens are 43 base64url characters (src/auth.h); a link cut short in an e-mail is told so.
      const m = /^#activate=([A-Za-z0-9_-]{43})$/.exec(location.hash);
      state.activationToken = m ? m[1] : null;
      history.replaceState(null, '', location.pathname + location.search);   // the token leaves the URL at once
      if (!m) state.message = { msg: t('badActivationLink'), kind: 'error' };
      openPanel('activate');
    }
    await restoreSession();
    // The app switches language by setting <html lang>: follow it.
    new MutationObserver(() => { updateButton(); if (panel && !panel.hidden) render(state.tab); })
      .observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
  }

  window.vetmapEditor = { open: openPanel, close: closePanel, get state() { return state; } };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
