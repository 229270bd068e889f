/* vetmap web front-end: map, search, filters and detail panel of the province's VET institutions.
 * Plain ES2020, no build step. OpenLayers (UMD build, global `ol`) is loaded from vendor/ol.js.
 * All API and tile URLs are relative to the page, so the site also works behind a path prefix. */
'use strict';

(function () {
  // ------------------------------------------------------------------ i18n
  const I18N = {
    vi: {
      appTitle: 'Bản đồ cơ sở giáo dục nghề nghiệp',
      sidebarLabel: 'Tìm kiếm và lọc',
      searchLabel: 'Tìm cơ sở',
      searchPlaceholder: 'Tìm theo tên, ví dụ: cao dang',
      nearMe: 'Cơ sở gần tôi',
      nearMeDenied: 'Không xác định được vị trí của bạn',
      nearMeLocating: 'Đang xác định vị trí…',
      filters: 'Bộ lọc',
      kind: 'Loại hình',
      ownership: 'Hình thức sở hữu',
      district: 'Huyện / thành phố',
      all: 'Tất cả',
      resetFilters: 'Bỏ lọc',
      results: 'Kết quả',
      mapLabel: 'Bản đồ',
      legend: 'Chú giải',
      close: 'Đóng',
      loading: 'Đang tải…',
      searching: 'Đang tìm…',
      nInstitutions: (n) => `${n} cơ sở`,
      nResultsFor: (n, q) => `${n} kết quả cho “${q}”`,
      nNearest: (n) => `${n} cơ sở gần bạn nhất`,
      nSameLocation: (n) => `${n} cơ sở tại cùng vị trí`,
      andMore: (n) => `… và ${n} cơ sở khác`,
      noResults: 'Không tìm thấy cơ sở nào.',
      noLocation: 'chưa có vị trí',
      approxShort: 'vị trí gần đúng',
      loadError: 'Không tải được dữ liệu',
      configError: 'Không tải được cấu hình bản đồ. Hãy thử tải lại trang.',
      notFound: (c) => `Không tìm thấy cơ sở có mã ${c}.`,
      showAllList: 'Xem tất cả',
      legendApprox: 'Vị trí gần đúng (trung tâm xã/huyện)',
      legendCluster: 'Nhóm cơ sở (bấm để phóng to)',
      legendProvince: 'Ranh giới tỉnh',
      legendDistrict: 'Ranh giới huyện',
      legendCommune: 'Ranh giới xã',
      legendYou: 'Vị trí của bạn',
      field_code: 'Mã cơ sở',
      field_name: 'Tên cơ sở',
      field_kind: 'Loại hình',
      field_ownership: 'Hình thức sở hữu',
      field_governing_body: 'Cơ quan chủ quản',
      field_address: 'Địa chỉ',
      field_commune_name: 'Xã / phường / thị trấn',
      field_district_name: 'Huyện / thành phố',
      field_province_name: 'Tỉnh',
      field_website: 'Trang web',
      field_phone: 'Điện thoại',
      field_email: 'Thư điện tử',
      field_location_precision: 'Độ chính xác vị trí',
      field_coordinates: 'Tọa độ (vĩ độ, kinh độ)',
      field_distance_km: 'Khoảng cách',
      field_updated_at: 'Cập nhật lần cuối',
      field_version: 'Phiên bản bản ghi',
      field_source_urls: 'Nguồn dữ liệu',
      field_description: 'Giới thiệu',
      field_programs: 'Ngành nghề đào tạo',
      programQuota: (n) => `${n} chỉ tiêu/năm`,
      unitCode: 'mã',
      noInfo: 'Chưa có thông tin',
      sources: 'Nguồn dữ liệu',
      lookup: 'Tra cứu',
      permalink: 'Liên kết cố định',
      copy: 'Sao chép',
      copied: 'Đã sao chép liên kết',
      lookupWebsite: 'Trang web của cơ sở',
      lookupOsm: 'Xem vị trí trên OpenStreetMap',
      lookupDirections: 'Chỉ đường (OpenStreetMap)',
      lookupSearchWeb: 'Tìm tên cơ sở trên web',
      lookupApi: 'Dữ liệu gốc (GeoJSON)',
      kinds: { college: 'Cao đẳng', intermediate_school: 'Trung cấp', vet_centre: 'Trung tâm GDNN / GDNN-GDTX', other: 'Khác' },
      kindsShort: { college: 'Cao đẳng', intermediate_school: 'Trung cấp', vet_centre: 'Trung tâm GDNN', other: 'Khác' },
      ownerships: { public: 'Công lập', private: 'Tư thục', foreign: 'Có vốn đầu tư nước ngoài', unknown: 'Chưa rõ' },
      precision: {
        surveyed: ['Đo đạc tại chỗ', 'Tọa độ được khảo sát tại cơ sở.'],
        address: ['Theo địa chỉ', 'Tọa độ xác định từ địa chỉ của cơ sở.'],
        commune_centroid: ['Vị trí gần đúng (trung tâm xã/huyện)', 'Chưa có tọa độ chính xác: điểm được đặt tại trung tâm xã/phường nơi cơ sở đặt trụ sở.'],
        district_centroid: ['Vị trí gần đúng (trung tâm xã/huyện)', 'Chưa có tọa độ chính xác: điểm được đặt tại trung tâm huyện/thành phố nơi cơ sở đặt trụ sở.'],
        unknown: ['Chưa có vị trí', 'Cơ sở chưa được định vị nên không hiển thị trên bản đồ.'],
        approx: ['Vị trí gần đúng (trung tâm xã/huyện)', 'Chưa có tọa độ chính xác: điểm trên bản đồ chỉ mang tính gần đúng.'],
      },
    },
    en: {
      appTitle: 'Map of vocational education and training institutions',
      sidebarLabel: 'Search and filters',
      searchLabel: 'Search institutions',
      searchPlaceholder: 'Search by name, e.g. cao dang',
      nearMe: 'Institutions near me',
      nearMeDenied: 'Your location is not available',
      nearMeLocating: 'Locating you…',
      filters: 'Filters',
      kind: 'Type',
      ownership: 'Ownership',
      district: 'District',
      all: 'All',
      resetFilters: 'Clear filters',
      results: 'Results',
      mapLabel: 'Map',
      legend: 'Legend',
      close: 'Close',
      loading: 'Loading…',
      searching: 'Searching…',
      nInstitutions: (n) => `${n} institution${n === 1 ? '' : 's'}`,
      nResultsFor: (n, q) => `${n} result${n === 1 ? '' : 's'} for “${q}”`,
      nNearest: (n) => `${n} nearest to you`,
      nSameLocation: (n) => `${n} institutions at the same place`,
      andMore: (n) => `… and ${n} more`,
      noResults: 'No institution found.',
      noLocation: 'no location',
      approxShort: 'approximate location',
      loadError: 'Could not load data',
      configError: 'Could not load the map configuration. Please reload the page.',
      notFound: (c) => `No institution with code ${c}.`,
      showAllList: 'Show all',
      legendApprox: 'Approximate location (commune/district centre)',
      legendCluster: 'Group of institutions (click to zoom)',
      legendProvince: 'Province boundary',
      legendDistrict: 'District boundary',
      legendCommune: 'Commune boundary',
      legendYou: 'Your location',
      field_code: 'Code',
      field_name: 'Name',
      field_kind: 'Type',
      field_ownership: 'Ownership',
      field_governing_body: 'Governing body',
      field_address: 'Address',
      field_commune_name: 'Commune / ward',
      field_district_name: 'District',
      field_province_name: 'Province',
      field_website: 'Website',
      field_phone: 'Phone',
      field_email: 'E-mail',
      field_location_precision: 'Location precision',
      field_coordinates: 'Coordinates (lat, lon)',
      field_distance_km: 'Distance',
      field_updated_at: 'Last updated',
      field_version: 'Record version',
      field_source_urls: 'Sources',
      field_description: 'About',
      field_programs: 'Programmes offered',
      programQuota: (n) => `${n} places a year`,
      unitCode: 'code',
      noInfo: 'Not known',
      sources: 'Sources',
      lookup: 'Look up',
      permalink: 'Permalink',
      copy: 'Copy',
      copied: 'Link copied',
      lookupWebsite: 'Institution website',
      lookupOsm: 'Show on OpenStreetMap',
      lookupDirections: 'Directions (OpenStreetMap)',
      lookupSearchWeb: 'Search the web for this name',
      lookupApi: 'Raw data (GeoJSON)',
      kinds: { college: 'College', intermediate_school: 'Intermediate school', vet_centre: 'VET centre', other: 'Other' },
      kindsShort: { college: 'College', intermediate_school: 'Intermediate', vet_centre: 'VET centre', other: 'Other' },
      ownerships: { public: 'Public', private: 'Private', foreign: 'Foreign-invested', unknown: 'Unknown' },
      precision: {
        surveyed: ['Surveyed', 'Coordinates surveyed on site.'],
        address: ['From the address', 'Coordinates derived from the address.'],
        commune_centroid: ['Approximate (commune/district centre)', 'No exact coordinates yet: placed at the centre of its commune.'],
        district_centroid: ['Approximate (commune/district centre)', 'No exact coordinates yet: placed at the centre of its district.'],
        unknown: ['No location', 'Not located yet, so it is not shown on the map.'],
        approx: ['Approximate (commune/district centre)', 'No exact coordinates yet: the map position is approximate.'],
      },
    },
  };
  let lang = 'vi';
  try { if (localStorage.getItem('vetmap.lang') === 'en') lang = 'en'; } catch (e) { /* storage blocked */ }
  function t(key, ...args) {
    const v = I18N[lang][key] !== undefined ? I18N[lang][key] : I18N.vi[key];
    if (typeof v === 'function') return v(...args);
    return v === undefined ? key : v;
  }

  // ------------------------------------------------------------------ constants
  const KINDS = ['college', 'intermediate_school', 'vet_centre', 'other'];
  const OWNERSHIPS = ['public', 'private', 'foreign', 'unknown'];
  // Okabe–Ito palette: distinguishable with the common colour-vision deficiencies.
  const KIND_COLORS = { college: '#0072B2', intermediate_school: '#009E73', vet_centre: '#D55E00', other: '#CC79A7' };
  const UNKNOWN_KIND_COLOR = '#6b7280';
  const EXACT_PRECISIONS = new Set(['surveyed', 'address']);
  const HASH_RE = /^#institution\/(.+)$/;
  const LIST_LIMIT = 1000;
  const SEARCH_LIMIT = 50;
  const NEAREST_LIMIT = 8;
  const TILE_MAX_ZOOM = 16;
  const BASE = new URL('.', location.href).href; // directory of the page, ends with '/'

  const $ = (sel) => document.querySelector(sel);
  const els = {
    title: $('#app-title'),
    form: $('#search-form'),
    input: $('#search-input'),
    nearMe: $('#near-me'),
    filtersToggle: $('#filters-toggle'),
    filtersCount: $('#filters-count'),
    filters: $('#filters'),
    kind: $('#filter-kind'),
    ownership: $('#filter-ownership'),
    district: $('#filter-district'),
    reset: $('#filters-reset'),
    listToggle: $('#list-toggle'),
    listReset: $('#list-reset'),
    summary: $('#results-summary'),
    results: $('#search-results'),
    legend: $('#legend'),
    legendItems: $('#legend-items'),
    status: $('#status'),
    tooltip: $('#tooltip'),
    panel: $('#detail-panel'),
    panelTitle: $('#detail-title'),
    panelBadges: $('#detail-badges'),
    panelBody: $('#detail-body'),
    panelClose: $('#detail-close'),
    langToggle: $('#lang-toggle'),
  };

  const state = {
    config: null,
    filters: { kind: '', ownership: '', district_code: '' },
    districts: [], // GeoJSON features of the districts (default layout)
    list: { mode: 'all', features: [], total: 0, query: '', extra: 0 },
    listSeq: 0,
    listAbort: null,
    detail: null, // { code, feature|null, error|null }
    detailSeq: 0,
    userPosition: null,
  };

  const isApprox = (p) => !EXACT_PRECISIONS.has(p && p.location_precision);
  const kindColor = (k) => KIND_COLORS[k] || UNKNOWN_KIND_COLOR;
  const isPhone = () => window.matchMedia('(max-width: 700px)').matches;

  // ------------------------------------------------------------------ helpers
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === null || v === undefined || v === false) continue;
        if (k === 'class') node.className = v;
        else if (k === 'text') node.textContent = v;
        else if (k === 'dataset') Object.assign(node.dataset, v);
        else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
        else node.setAttribute(k, v === true ? '' : v);
      }
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function apiUrl(path, params) {
    const url = new URL(path, BASE);
    if (params) {
      for (const [k, v] of Object.entries(params)) {
        if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
      }
    }
    return url.href;
  }

  async function api(path, params, signal) {
    const res = await fetch(apiUrl(path, params), { headers: { Accept: 'application/geo+json, application/json' }, signal });
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    if (!res.ok) {
      const err = new Error((body && body.description) || `HTTP ${res.status}`);
      err.status = res.status;
      err.body = body;
      throw err;
    }
    return body;
  }

  let statusTimer = 0;
  function showStatus(msg, { error = false, timeout = 4000 } = {}) {
    clearTimeout(statusTimer);
    els.status.textContent = msg;
    els.status.classList.toggle('error', error);
    els.status.hidden = false;
    if (timeout) statusTimer = setTimeout(() => { els.status.hidden = true; }, timeout);
  }

  /** Only http(s) links are rendered as links; a bare domain gets http://. */
  function safeHttpUrl(raw) {
    if (!raw || typeof raw !== 'string') return null;
    let s = raw.trim();
    if (!/^[a-z][a-z0-9+.-]*:/i.test(s)) s = 'http://' + s.replace(/^\/\//, '');
    try {
      const u = new URL(s);
      return (u.protocol === 'http:' || u.protocol === 'https:') ? u.href : null;
    } catch (e) { return null; }
  }
  const prettyUrl = (href) => href.replace(/^https?:\/\//, '').replace(/\/$/, '');

  function fmtNumber(n, digits) {
    return new Intl.NumberFormat(lang === 'vi' ? 'vi-VN' : 'en-GB', { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(n);
  }
  const fmtDate = window.vetmapFormat.dateTime;
  const fmtKm = (km) => `${fmtNumber(km, km < 10 ? 1 : 0)} km`;
  const kindLabel = (k, short) => (short ? t('kindsShort') : t('kinds'))[k] || k || t('noInfo');
  const ownershipLabel = (o) => t('ownerships')[o] || o || t('noInfo');

  function precisionInfo(props, hasGeom) {
    const p = props.location_precision;
    const table = t('precision');
    if (!hasGeom) return table.unknown;
    if (table[p] && p !== 'unknown') return table[p];
    return table.approx; // geometry present but precision unknown/other: treat as approximate
  }

  function debounce(fn, ms) {
    let timer = 0;
    return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
  }

  // ------------------------------------------------------------------ map styles
  const styleCache = new Map();

  // declutterMode 'none' on every symbol: the layers are not decluttered, and OpenLayers 10's VectorTile
  // hit detection drops Image hits whose declutterMode is the default ('declutter') when the layer has
  // no declutter group, so without it points could not be clicked.
  function pointStyle(kind, approx, selected) {
    const key = `p|${kind}|${approx}|${selected}`;
    let s = styleCache.get(key);
    if (!s) {
      const color = kindColor(kind);
      const image = approx
        ? new ol.style.Circle({
          declutterMode: 'none',
          radius: selected ? 9 : 7,
          fill: new ol.style.Fill({ color: 'rgba(255,255,255,0.9)' }),
          stroke: new ol.style.Stroke({ color, width: 3, lineDash: [3, 2.5] }),
        })
        : new ol.style.Circle({
          declutterMode: 'none',
          radius: selected ? 9 : 7,
          fill: new ol.style.Fill({ color }),
          stroke: new ol.style.Stroke({ color: '#ffffff', width: 2 }),
        });
      s = [new ol.style.Style({ image, zIndex: approx ? 1 : 2 })];
      styleCache.set(key, s);
    }
    return s;
  }

  function clusterStyle(count) {
    const key = `c|${count}`;
    let s = styleCache.get(key);
    if (!s) {
      const radius = Math.round(11 + Math.min(14, Math.log2(Math.max(1, count)) * 3));
      s = [
        new ol.style.Style({
          image: new ol.style.Circle({
            declutterMode: 'none',
            radius: radius + 5,
            fill: new ol.style.Fill({ color: 'rgba(30,41,59,0.18)' }),
          }),
          zIndex: 3,
        }),
        new ol.style.Style({
          image: new ol.style.Circle({
            declutterMode: 'none',
            radius,
            fill: new ol.style.Fill({ color: 'rgba(30,41,59,0.88)' }),
            stroke: new ol.style.Stroke({ color: '#ffffff', width: 2 }),
          }),
          text: new ol.style.Text({
            text: String(count),
            font: 'bold 12px system-ui, sans-serif',
            fill: new ol.style.Fill({ color: '#ffffff' }),
          }),
          zIndex: 3,
        }),
      ];
      styleCache.set(key, s);
    }
    return s;
  }

  /** Small count badge beside a point that stands for several institutions at one place. */
  function stackBadge(n) {
    const key = `s|${n}`;
    let s = styleCache.get(key);
    if (!s) {
      s = new ol.style.Style({
        text: new ol.style.Text({
          text: String(n),
          font: 'bold 11px system-ui, sans-serif',
          offsetX: 13,
          offsetY: -12,
          fill: new ol.style.Fill({ color: '#ffffff' }),
          backgroundFill: new ol.style.Fill({ color: '#1e293b' }),
          padding: [1, 4, 0, 4],
        }),
        zIndex: 4,
      });
      styleCache.set(key, s);
    }
    return s;
  }

  function institutionStyle(feature) {
    if (feature.get('cluster')) return clusterStyle(Number(feature.get('count')) || 0);
    const code = feature.get('code') || feature.getId();
    const selected = !!(state.detail && state.detail.code === code);
    const base = pointStyle(feature.get('kind'), isApprox(feature.getProperties()), selected);
    const stack = feature.get('_stack_lead');
    return stack > 1 ? base.concat(stackBadge(stack)) : base;
  }

  /** Institutions drawn at the very same place (e.g. all placed at one district centre) would look like
   * one point: the first of each such group in a tile carries the group size for a badge. */
  function markStacks(tile) {
    const groups = new Map();
    for (const f of tile.getFeatures ? tile.getFeatures() : []) {
      if (f.get('cluster')) continue;
      const g = f.getGeometry();
      if (!g || g.getType() !== 'Point') continue;
      const c = g.getCoordinates();
      const key = `${c[0].toFixed(1)},${c[1].toFixed(1)}`;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(f);
    }
    for (const list of groups.values()) {
      if (list.length > 1) list[list.length - 1].set('_stack_lead', list.length, true);
    }
  }

  const provinceStyle = [
    new ol.style.Style({ stroke: new ol.style.Stroke({ color: 'rgba(255,255,255,0.85)', width: 6 }), fill: new ol.style.Fill({ color: 'rgba(255,255,255,0.18)' }) }),
    new ol.style.Style({ stroke: new ol.style.Stroke({ color: '#7f1d1d', width: 2.5 }) }),
  ];
  const districtStyle = new ol.style.Style({ stroke: new ol.style.Stroke({ color: 'rgba(127,29,29,0.75)', width: 1.4, lineDash: [8, 4] }) });
  const districtStyleLow = new ol.style.Style({ stroke: new ol.style.Stroke({ color: 'rgba(127,29,29,0.6)', width: 1, lineDash: [6, 4] }) });
  const communeStyle = new ol.style.Style({ stroke: new ol.style.Stroke({ color: 'rgba(71,85,105,0.7)', width: 0.8, lineDash: [2, 3] }) });

  // Resolution (EPSG:3857, 256 px tiles) at a zoom level.
  const resAtZoom = (z) => 156543.03392804097 / Math.pow(2, z);

  function labelStyleFn(feature, resolution) {
    const level = feature.get('level');
    const isDistrict = level === 2 || feature.get('collection') === 'districts';
    // District names from z9 to z12.5, commune names from z12.
    if (isDistrict && (resolution > resAtZoom(8.7) || resolution < resAtZoom(12.5))) return null;
    if (!isDistrict && resolution > resAtZoom(11.8)) return null;
    return new ol.style.Style({
      text: new ol.style.Text({
        text: feature.get('name') || '',
        font: isDistrict ? '600 13px system-ui, sans-serif' : '11px system-ui, sans-serif',
        fill: new ol.style.Fill({ color: isDistrict ? '#7f1d1d' : '#334155' }),
        stroke: new ol.style.Stroke({ color: 'rgba(255,255,255,0.95)', width: 3 }),
        overflow: false,
      }),
      zIndex: isDistrict ? 2 : 1,
    });
  }

  // ------------------------------------------------------------------ map
  let map = null;
  let view = null;
  let institutionSource = null;
  let institutionLayer = null;
  let selectionSource = null;
  let userSource = null;
  let labelSource = null;
  const labelIndex = new Map(); // `${collection}|${id}` -> { area, feature }

  const tileUrl = (collection, params) => {
    const qs = params ? new URLSearchParams(Object.entries(params).filter(([, v]) => v)).toString() : '';
    return `${BASE}tiles/${collection}/{z}/{x}/{y}.geojson${qs ? '?' + qs : ''}`;
  };

  /** GeoJSON tiles (EPSG:4326 inside): ol.source.VectorTile reads them with featureProjection = view
   * projection, so features arrive in EPSG:3857. Tiles are 256 px (the default for VectorTile is 512). */
  function geojsonTileSource(collection, params) {
    return new ol.source.VectorTile({
      format: new ol.format.GeoJSON(),
      url: tileUrl(collection, params),
      // Tiles exist up to z20, but z16 is detailed enough for boundaries and points; deeper zooms
      // over-zoom the z16 tiles instead of requesting many tiny ones.
      tileGrid: ol.tilegrid.createXYZ({ maxZoom: TILE_MAX_ZOOM, tileSize: 256 }),
      overlaps: false,
    });
  }

  /** Keep one label point per admin unit: the interior point of the largest clipped piece seen in any
   * loaded tile (tiles clip polygons, so a per-tile text style would repeat the name on every tile). */
  function indexLabels(collection, tile) {
    const features = tile.getFeatures ? tile.getFeatures() : [];
    for (const f of features) {
      const geom = f.getGeometry && f.getGeometry();
      if (!geom) continue;
      const id = f.getId() !== undefined ? f.getId() : f.get('code');
      if (id === undefined || id === null) continue;
      let polys = [];
      const type = geom.getType();
      if (type === 'Polygon') polys = [geom];
      else if (type === 'MultiPolygon') polys = geom.getPolygons();
      else continue;
      let best = null;
      let bestArea = 0;
      for (const p of polys) {
        const a = p.getArea();
        if (a > bestArea) { bestArea = a; best = p; }
      }
      if (!best) continue;
      const key = `${collection}|${id}`;
      const prev = labelIndex.get(key);
      if (prev && prev.area >= bestArea * 0.999) continue;
      const pt = best.getInteriorPoint().getCoordinates().slice(0, 2);
      if (prev) {
        prev.area = bestArea;
        prev.feature.setGeometry(new ol.geom.Point(pt));
      } else {
        const lf = new ol.Feature({ geometry: new ol.geom.Point(pt), name: f.get('name'), level: f.get('level'), collection });
        labelIndex.set(key, { area: bestArea, feature: lf });
        labelSource.addFeature(lf);
      }
    }
  }

  function buildMap(cfg) {
    const extent4326 = Array.isArray(cfg.bbox) && cfg.bbox.length === 4 && cfg.bbox.every(Number.isFinite)
      ? cfg.bbox : [102.1, 8.3, 109.6, 23.4];
    const extent = ol.proj.transformExtent(extent4326, 'EPSG:4326', 'EPSG:3857');
    const dataExtent = ol.extent.buffer(extent, Math.max(ol.extent.getWidth(extent), ol.extent.getHeight(extent)) * 0.25);

    const layers = [];
    const bm = cfg.basemap || {};
    if (bm.url) {
      const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
      layers.push(new ol.layer.Tile({
        className: 'basemap-layer',
        source: new ol.source.XYZ({
          url: bm.url,
          attributions: bm.attribution ? esc(bm.attribution) : undefined,
          maxZoom: Number.isFinite(bm.max_zoom) ? bm.max_zoom : 19,
          transition: 150,
        }),
        zIndex: 0,
      }));
    }

    const communes = new ol.layer.VectorTile({
      className: 'admin-layer',
      source: geojsonTileSource('communes'),
      style: communeStyle,
      minZoom: 9.8,
      extent: dataExtent,
      zIndex: 1,
    });
    const districts = new ol.layer.VectorTile({
      className: 'admin-layer',
      source: geojsonTileSource('districts'),
      style: (f, res) => (res > resAtZoom(9.5) ? districtStyleLow : districtStyle),
      minZoom: 7,
      extent: dataExtent,
      zIndex: 2,
    });
    const provinces = new ol.layer.VectorTile({
      className: 'admin-layer',
      source: geojsonTileSource('provinces'),
      style: provinceStyle,
      extent: dataExtent,
      zIndex: 3,
    });
    labelSource = new ol.source.Vector();
    communes.getSource().on('tileloadend', (e) => indexLabels('communes', e.tile));
    districts.getSource().on('tileloadend', (e) => indexLabels('districts', e.tile));
    const labels = new ol.layer.Vector({
      className: 'label-layer',
      source: labelSource,
      style: labelStyleFn,
      declutter: 'labels',
      zIndex: 4,
    });

    institutionSource = geojsonTileSource('institutions', state.filters);
    institutionSource.on('tileloadend', (e) => markStacks(e.tile));
    institutionLayer = new ol.layer.VectorTile({
      className: 'institution-layer',
      source: institutionSource,
      style: institutionStyle,
      extent: dataExtent,
      zIndex: 10,
    });

    selectionSource = new ol.source.Vector();
    const selection = new ol.layer.Vector({
      source: selectionSource,
      zIndex: 9, // under the points: a ring around the selected one
      style: new ol.style.Style({
        image: new ol.style.Circle({ radius: 15, stroke: new ol.style.Stroke({ color: '#f59e0b', width: 4 }), fill: new ol.style.Fill({ color: 'rgba(245,158,11,0.12)' }) }),
      }),
    });
    userSource = new ol.source.Vector();
    const user = new ol.layer.Vector({
      source: userSource,
      zIndex: 12,
      style: new ol.style.Style({
        image: new ol.style.Circle({ radius: 7, fill: new ol.style.Fill({ color: '#2563eb' }), stroke: new ol.style.Stroke({ color: '#ffffff', width: 3 }) }),
      }),
    });

    layers.push(communes, districts, provinces, labels, institutionLayer, selection, user);

    view = new ol.View({
      center: ol.extent.getCenter(extent),
      zoom: 9,
      minZoom: 5,
      maxZoom: 20,
    });
    map = new ol.Map({
      target: 'map',
      layers,
      view,
      controls: ol.control.defaults.defaults({ attributionOptions: { collapsible: true, collapsed: false } })
        .extend([new ol.control.ScaleLine({ units: 'metric' })]),
    });
    map.getTargetElement().dataset.extent = extent4326.join(',');
    view.fit(extent, { size: map.getSize(), padding: [24, 24, 24, 24] });
    state.provinceExtent = extent;

    map.on('singleclick', onMapClick);
    map.on('pointermove', onPointerMove);
    map.getViewport().addEventListener('pointerleave', () => { els.tooltip.hidden = true; });

    let readyMarked = false;
    const markReady = () => {
      if (readyMarked) return;
      readyMarked = true;
      document.documentElement.dataset.mapReady = 'true';
    };
    map.once('rendercomplete', markReady);
    setTimeout(markReady, 8000); // a basemap that never answers must not keep the page "loading"
  }

  function institutionHits(pixel) {
    const hits = [];
    map.forEachFeatureAtPixel(pixel, (f) => { hits.push(f); }, {
      layerFilter: (l) => l === institutionLayer,
      hitTolerance: 5,
    });
    return hits;
  }

  /** Hits come nearest first: keep the nearest one and those drawn at the very same place (a stack). */
  function nearestStack(hits) {
    const first = hits[0];
    const at = first.getGeometry().getCoordinates();
    const res = view.getResolution() || 1;
    return hits.filter((f) => {
      const c = f.getGeometry().getCoordinates();
      return Math.abs(c[0] - at[0]) <= res && Math.abs(c[1] - at[1]) <= res;
    });
  }

  function onMapClick(evt) {
    if (isPhone()) setListOpen(false);
    const all = institutionHits(evt.pixel);
    if (!all.length) return;
    const hits = nearestStack(all);
    const cluster = hits.find((f) => f.get('cluster'));
    if (cluster) { onClusterClick(cluster); return; }
    const codes = [...new Set(hits.map((f) => f.get('code') || f.getId()).filter(Boolean))];
    if (codes.length === 1) navigateTo(codes[0]);
    else showMembers(codes, codes.length); // stacked points at one location
  }

  function onClusterClick(feature) {
    const count = Number(feature.get('count')) || 0;
    const codes = Array.isArray(feature.get('codes')) ? feature.get('codes') : [];
    const ez = feature.get('expansion_zoom');
    const coord = feature.getGeometry().getCoordinates();
    if (count <= 1 && codes.length === 1) { navigateTo(codes[0]); return; }
    if (ez !== null && ez !== undefined && Number.isFinite(Number(ez))) {
      const target = Math.max(Number(ez), Math.floor(view.getZoom() + 1e-6) + 1);
      view.animate({ center: coord, zoom: Math.min(target, view.getMaxZoom()), duration: 450 });
      return;
    }
    showMembers(codes, count); // members share one location: list them
  }

  function onPointerMove(evt) {
    if (evt.dragging || evt.originalEvent.pointerType === 'touch') return;
    const all = institutionHits(evt.pixel);
    map.getTargetElement().style.cursor = all.length ? 'pointer' : '';
    if (!all.length) { els.tooltip.hidden = true; return; }
    const hits = nearestStack(all);
    const f = hits.find((h) => h.get('cluster')) || hits[0];
    let text;
    if (f.get('cluster')) text = t('nInstitutions', Number(f.get('count')) || 0);
    else if (hits.length > 1) text = t('nSameLocation', hits.length);
    else text = f.get('name') || f.get('code') || '';
    els.tooltip.textContent = text;
    els.tooltip.hidden = false;
    els.tooltip.style.left = `${evt.pixel[0] + 14}px`;
    els.tooltip.style.top = `${evt.pixel[1] + 10}px`;
  }

  function refreshInstitutionLayer() {
    if (institutionSource) institutionSource.setUrl(tileUrl('institutions', state.filters)); // same listeners
  }

  function highlight(feature) {
    if (!selectionSource) return;
    selectionSource.clear();
    if (feature && feature.geometry && feature.geometry.type === 'Point') {
      selectionSource.addFeature(new ol.Feature(new ol.geom.Point(ol.proj.fromLonLat(feature.geometry.coordinates))));
    }
    if (institutionLayer) institutionLayer.changed();
  }

  /** Move the map so that the institution is visible next to the panel. */
  function centreOn(feature, { animate = true } = {}) {
    if (!map || !feature || !feature.geometry || feature.geometry.type !== 'Point') return;
    updateViewPadding();
    const center = ol.proj.fromLonLat(feature.geometry.coordinates);
    const minZoom = Math.max((state.config && Number(state.config.cluster_max_zoom)) || 12, 12) + 1;
    const zoom = Math.min(Math.max(view.getZoom() || 0, minZoom), 17);
    if (animate) view.animate({ center, zoom, duration: 500 });
    else { view.setCenter(center); view.setZoom(zoom); }
  }

  /** The detail panel covers part of the map (right column or bottom sheet): tell the view.
   * With recentre, what was in the middle of the map moves to the middle of the part left visible. */
  function updateViewPadding({ recentre = false } = {}) {
    if (!view) return;
    const centre = view.getCenter();
    let pad = [0, 0, 0, 0];
    if (!els.panel.hidden) {
      const mapRect = map.getTargetElement().getBoundingClientRect();
      const r = els.panel.getBoundingClientRect();
      if (isPhone()) pad = [0, 0, Math.max(0, Math.min(mapRect.bottom - r.top, mapRect.height * 0.7)), 0];
      else pad = [0, Math.max(0, Math.min(mapRect.right - r.left, mapRect.width * 0.6)), 0, 0];
    }
    view.padding = pad;
    if (recentre && centre) view.animate({ center: centre, duration: 300 });
  }

  // ------------------------------------------------------------------ filters
  function fillSelect(select, entries, current) {
    select.replaceChildren(el('option', { value: '' }, t('all')), ...entries.map(([value, label]) => el('option', { value }, label)));
    select.value = current || '';
    if (select.value !== (current || '')) select.value = '';
  }

  function renderFilterOptions() {
    fillSelect(els.kind, KINDS.map((k) => [k, kindLabel(k)]), state.filters.kind);
    fillSelect(els.ownership, OWNERSHIPS.map((o) => [o, ownershipLabel(o)]), state.filters.ownership);
    const districts = state.districts
      .map((f) => [String(f.properties.code ?? f.id), f.properties.name || String(f.id)])
      .sort((a, b) => a[1].localeCompare(b[1], 'vi'));
    fillSelect(els.district, districts, state.filters.district_code);
    const n = Object.values(state.filters).filter(Boolean).length;
    els.filtersCount.hidden = n === 0;
    els.filtersCount.textContent = n ? String(n) : '';
    els.reset.hidden = n === 0;
  }

  function onFilterChange() {
    state.filters = { kind: els.kind.value, ownership: els.ownership.value, district_code: els.district.value };
    const n = Object.values(state.filters).filter(Boolean).length;
    els.filtersCount.hidden = n === 0;
    els.filtersCount.textContent = n ? String(n) : '';
    els.reset.hidden = n === 0;
    refreshInstitutionLayer();
    if (state.filters.district_code) fitDistrict(state.filters.district_code);
    refreshList();
  }

  function fitDistrict(code) {
    const f = state.districts.find((d) => String(d.properties.code ?? d.id) === String(code));
    if (!f || !f.geometry || !map) return;
    const geom = new ol.format.GeoJSON().readGeometry(f.geometry, { dataProjection: 'EPSG:4326', featureProjection: 'EPSG:3857' });
    view.fit(geom.getExtent(), { padding: [30, 30, 30, 30], duration: 400, maxZoom: 14 });
  }

  // ------------------------------------------------------------------ result list
  const filterParams = () => ({ kind: state.filters.kind, ownership: state.filters.ownership, district_code: state.filters.district_code });

  function refreshList() {
    const q = els.input.value.trim();
    if (q) runSearch(q);
    else loadAll();
  }

  function beginList() {
    if (state.listAbort) state.listAbort.abort();
    state.listAbort = new AbortController();
    state.listSeq += 1;
    els.results.setAttribute('aria-busy', 'true');
    els.results.dataset.state = 'loading';
    return { seq: state.listSeq, signal: state.listAbort.signal };
  }

  async function loadAll() {
    const { seq, signal } = beginList();
    els.summary.textContent = t('loading');
    try {
      const fc = await api('api/collections/institutions/items', { limit: LIST_LIMIT, ...filterParams() }, signal);
      if (seq !== state.listSeq) return;
      const features = (fc && fc.features) || [];
      const total = Number.isFinite(fc.numberMatched) ? fc.numberMatched : features.length;
      features.sort((a, b) => String(a.properties.name || '').localeCompare(String(b.properties.name || ''), 'vi'));
      setList({ mode: 'all', features, total, query: '', extra: 0 });
    } catch (e) {
      if (e.name === 'AbortError' || seq !== state.listSeq) return;
      setListError(e);
    }
  }

  async function runSearch(q) {
    const { seq, signal } = beginList();
    els.summary.textContent = t('searching');
    try {
      const fc = await api('api/search', { q, limit: SEARCH_LIMIT, ...filterParams() }, signal);
      if (seq !== state.listSeq) return;
      const features = (fc && fc.features) || [];
      setList({ mode: 'search', features, total: features.length, query: q, extra: 0 });
      if (isPhone()) setListOpen(true);
    } catch (e) {
      if (e.name === 'AbortError' || seq !== state.listSeq) return;
      setListError(e);
    }
  }

  async function showMembers(codes, count) {
    const { seq, signal } = beginList();
    els.summary.textContent = t('loading');
    const unique = [...new Set(codes)].slice(0, 50);
    const results = await Promise.all(unique.map((c) => api(`api/collections/institutions/items/${encodeURIComponent(c)}`, null, signal).catch(() => null)));
    if (seq !== state.listSeq) return;
    const features = results.filter(Boolean);
    features.sort((a, b) => String(a.properties.name || '').localeCompare(String(b.properties.name || ''), 'vi'));
    setList({ mode: 'members', features, total: Math.max(count || 0, features.length), query: '', extra: Math.max(0, (count || 0) - features.length) });
    setListOpen(true);
  }

  async function showNearest(lon, lat) {
    const { seq, signal } = beginList();
    els.summary.textContent = t('loading');
    try {
      const fc = await api('api/nearest', { lon: lon.toFixed(6), lat: lat.toFixed(6), limit: NEAREST_LIMIT }, signal);
      if (seq !== state.listSeq) return;
      const features = (fc && fc.features) || [];
      setList({ mode: 'nearest', features, total: features.length, query: '', extra: 0 });
      setListOpen(true);
      const pts = features.filter((f) => f.geometry && f.geometry.type === 'Point').map((f) => ol.proj.fromLonLat(f.geometry.coordinates));
      pts.push(ol.proj.fromLonLat([lon, lat]));
      view.fit(ol.extent.boundingExtent(pts), { padding: [60, 60, 60, 60], maxZoom: 15, duration: 500 });
    } catch (e) {
      if (e.name === 'AbortError' || seq !== state.listSeq) return;
      setListError(e);
    }
  }

  function setListError(e) {
    els.results.replaceChildren(el('li', { class: 'result-empty error' }, `${t('loadError')}: ${e.message}`));
    els.summary.textContent = t('loadError');
    els.results.dataset.state = 'error';
    els.results.removeAttribute('aria-busy');
  }

  function setList(list) {
    state.list = list;
    renderList();
  }

  function summaryText() {
    const l = state.list;
    switch (l.mode) {
      case 'search': return t('nResultsFor', l.features.length, l.query);
      case 'nearest': return t('nNearest', l.features.length);
      case 'members': return t('nSameLocation', l.total);
      default: return t('nInstitutions', l.total);
    }
  }

  function renderList() {
    const l = state.list;
    const items = l.features.map(resultItem);
    if (!items.length) items.push(el('li', { class: 'result-empty' }, t('noResults')));
    if (l.extra > 0) items.push(el('li', { class: 'result-empty' }, t('andMore', l.extra)));
    els.results.replaceChildren(...items);
    els.results.dataset.state = 'done';
    els.results.dataset.mode = l.mode;
    els.results.dataset.query = l.query || '';
    els.results.dataset.count = String(l.features.length);
    els.results.removeAttribute('aria-busy');
    els.summary.textContent = summaryText();
    els.listReset.hidden = l.mode === 'all' || l.mode === 'search';
    markSelectedInList();
  }

  function resultItem(f) {
    const p = f.properties || {};
    const code = p.code || f.id;
    const hasGeom = !!f.geometry;
    const approx = hasGeom && isApprox(p);
    const meta = [kindLabel(p.kind, true), p.district_name].filter(Boolean).join(' · ');
    const badges = [];
    if (!hasGeom) badges.push(el('span', { class: 'badge badge-noloc', dataset: { field: 'no-location' } }, t('noLocation')));
    else if (approx) badges.push(el('span', { class: 'badge badge-approx' }, t('approxShort')));
    if (Number.isFinite(p.distance_km)) badges.push(el('span', { class: 'badge badge-dist' }, fmtKm(p.distance_km)));
    const dot = el('span', { class: `kind-dot${approx ? ' approx' : ''}${hasGeom ? '' : ' noloc'}`, 'aria-hidden': 'true' });
    dot.style.setProperty('--kind-color', kindColor(p.kind));
    const btn = el('button', { type: 'button', class: 'result-btn', onclick: () => onResultClick(code) },
      dot,
      el('span', { class: 'result-text' },
        el('span', { class: 'result-name' }, p.name || code),
        el('span', { class: 'result-meta' }, meta || '—'),
        badges.length ? el('span', { class: 'result-badges' }, badges) : null));
    return el('li', { class: 'result-item', dataset: { code, kind: p.kind || '', located: hasGeom ? 'yes' : 'no' } }, btn);
  }

  function markSelectedInList() {
    const code = state.detail && state.detail.code;
    for (const li of els.results.querySelectorAll('.result-item')) {
      const on = li.dataset.code === code;
      li.classList.toggle('selected', on);
      if (on) li.setAttribute('aria-current', 'true'); else li.removeAttribute('aria-current');
    }
  }

  function onResultClick(code) {
    if (isPhone()) setListOpen(false);
    if (state.detail && state.detail.code === code && location.hash === hashFor(code)) {
      if (state.detail.feature) centreOn(state.detail.feature);
    } else {
      navigateTo(code);
    }
    els.panelTitle.focus({ preventScroll: true });
  }

  function setListOpen(open) {
    document.body.classList.toggle('list-open', open);
    els.listToggle.setAttribute('aria-expanded', String(open));
  }

  // ------------------------------------------------------------------ detail panel + permalink
  const hashFor = (code) => `#institution/${encodeURIComponent(code)}`;

  function navigateTo(code) {
    const h = hashFor(code);
    if (location.hash === h) openDetail(code, { centre: true });
    else location.hash = h; // -> hashchange -> openDetail
  }

  function route({ initial = false } = {}) {
    const m = HASH_RE.exec(location.hash);
    if (m) {
      let code;
      try { code = decodeURIComponent(m[1]); } catch (e) { code = m[1]; }
      openDetail(code, { centre: true, animate: !initial });
    } else if (!els.panel.hidden) {
      closeDetail({ updateHash: false });
    }
  }

  async function openDetail(code, { centre = true, animate = true } = {}) {
    const seq = ++state.detailSeq;
    state.detail = { code, feature: null, error: null };
    els.panel.hidden = false;
    document.body.classList.add('detail-open');
    els.panel.dataset.state = 'loading';
    els.panel.dataset.code = code;
    els.panelTitle.textContent = code;
    els.panelBadges.replaceChildren();
    els.panelBody.replaceChildren(el('p', { class: 'muted' }, t('loading')));
    markSelectedInList();
    try {
      const feature = await api(`api/collections/institutions/items/${encodeURIComponent(code)}`);
      if (seq !== state.detailSeq) return;
      state.detail.feature = feature;
      renderDetail();
      highlight(feature);
      if (centre && feature.geometry) centreOn(feature, { animate });
      else updateViewPadding({ recentre: true });
    } catch (e) {
      if (seq !== state.detailSeq) return;
      state.detail.error = e;
      renderDetail();
      highlight(null);
    }
  }

  function closeDetail({ updateHash = true } = {}) {
    state.detailSeq += 1;
    state.detail = null;
    els.panel.hidden = true;
    document.body.classList.remove('detail-open');
    delete els.panel.dataset.code;
    highlight(null);
    markSelectedInList();
    updateViewPadding();
    if (updateHash && HASH_RE.test(location.hash)) {
      history.pushState(null, '', location.pathname + location.search);
    }
  }

  function field(name, label, value) {
    const dd = el('dd', null);
    if (value === null || value === undefined || value === '' || (Array.isArray(value) && !value.length)) {
      dd.classList.add('empty');
      dd.textContent = t('noInfo');
    } else if (value instanceof Node || Array.isArray(value)) {
      dd.append(...[].concat(value));
    } else {
      dd.textContent = String(value);
    }
    return el('div', { class: 'field', dataset: { field: name } }, el('dt', null, label), dd);
  }

  const link = (href, text, extra) => el('a', Object.assign({ href, target: '_blank', rel: 'noopener noreferrer external' }, extra || {}), text);

  function unitWithCode(name, code) {
    if (!name && !code) return null;
    if (!name) return `${t('unitCode')} ${code}`;
    return code ? [name, el('span', { class: 'muted code' }, ` (${t('unitCode')} ${code})`)] : name;
  }

  /** Data-driven "Tra cứu" (lookup) links: each entry builds a URL from the record or returns null. */
  const LOOKUPS = [
    { key: 'lookupWebsite', build: (p) => safeHttpUrl(p.website) },
    {
      key: 'lookupOsm',
      build: (p, g) => (g ? `https://www.openstreetmap.org/?mlat=${g[1]}&mlon=${g[0]}#map=17/${g[1]}/${g[0]}` : null),
    },
    {
      key: 'lookupDirections',
      build: (p, g) => (g && !isApprox(p) ? `https://www.openstreetmap.org/directions?to=${g[1]}%2C${g[0]}` : null),
    },
    {
      key: 'lookupSearchWeb',
      build: (p) => (p.name ? `https://duckduckgo.com/?q=${encodeURIComponent([p.name, p.province_name].filter(Boolean).join(' '))}` : null),
    },
    { key: 'lookupApi', build: (p, g, code) => apiUrl(`api/collections/institutions/items/${encodeURIComponent(code)}`), internal: true },
  ];

  const KNOWN_PROPS = new Set(['code', 'name', 'kind', 'ownership', 'governing_body', 'address', 'commune_code', 'commune_name',
    'district_code', 'district_name', 'province_code', 'province_name', 'website', 'phone', 'email', 'location_precision',
    'source_urls', 'updated_at', 'version', 'distance_km', 'description', 'programs']);

  /** A titled section of the panel: `body` (nodes), or "no information" when there is none. */
  const section = (name, title, body) => el('section', { class: 'detail-section', dataset: { field: name } },
    el('h3', null, title), body && body.length ? body : el('p', { class: 'muted' }, t('noInfo')));

  /** One line per program: name (code) · level · yearly quota, each part when known. */
  function programItems(programs) {
    return (Array.isArray(programs) ? programs : []).filter((x) => x && typeof x === 'object').map((x) => el('li', null,
      el('span', { class: 'program-name' }, x.occupation_name || x.occupation_code || ''),
      x.occupation_code && x.occupation_name ? el('span', { class: 'muted code' }, ` (${t('unitCode')} ${x.occupation_code})`) : null,
      x.level ? ` · ${x.level}` : null,
      Number.isFinite(x.annual_quota) ? ` · ${t('programQuota', x.annual_quota.toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB'))}` : null));
  }

  function renderDetail() {
    const d = state.detail;
    if (!d) return;
    if (d.error) {
      els.panel.dataset.state = 'error';
      els.panelTitle.textContent = d.code;
      els.panelBadges.replaceChildren();
      els.panelBody.replaceChildren(el('p', { class: 'error' }, d.error.status === 404 ? t('notFound', d.code) : `${t('loadError')}: ${d.error.message}`));
      return;
    }
    const f = d.feature;
    const p = f.properties || {};
    const code = p.code || f.id || d.code;
    const g = f.geometry && f.geometry.type === 'Point' ? f.geometry.coordinates : null;
    const approx = !!g && isApprox(p);
    const [precLabel, precExplain] = precisionInfo(p, !!g);

    els.panel.dataset.state = 'done';
    els.panel.dataset.code = code;
    els.panelTitle.textContent = p.name || code;

    const kindBadge = el('span', { class: 'badge badge-kind' }, kindLabel(p.kind));
    kindBadge.style.setProperty('--kind-color', kindColor(p.kind));
    els.panelBadges.replaceChildren(...[
      kindBadge,
      el('span', { class: 'badge' }, ownershipLabel(p.ownership)),
      !g ? el('span', { class: 'badge badge-noloc' }, t('noLocation')) : approx ? el('span', { class: 'badge badge-approx' }, t('approxShort')) : null,
    ].filter(Boolean));

    const web = safeHttpUrl(p.website);
    const phoneHref = p.phone ? `tel:${String(p.phone).replace(/[^0-9+]/g, '')}` : null;
    const emailOk = p.email && /^[^\s@<>]+@[^\s@<>]+$/.test(String(p.email).trim());

    const dl = el('dl', { class: 'fields' },
      field('code', t('field_code'), el('code', null, code)),
      field('name', t('field_name'), p.name),
      field('kind', t('field_kind'), kindLabel(p.kind)),
      field('ownership', t('field_ownership'), p.ownership ? ownershipLabel(p.ownership) : null),
      field('governing_body', t('field_governing_body'), p.governing_body),
      field('address', t('field_address'), p.address),
      field('commune_name', t('field_commune_name'), unitWithCode(p.commune_name, p.commune_code)),
      field('district_name', t('field_district_name'), unitWithCode(p.district_name, p.district_code)),
      field('province_name', t('field_province_name'), unitWithCode(p.province_name, p.province_code)),
      field('website', t('field_website'), web ? link(web, prettyUrl(web)) : p.website),
      field('phone', t('field_phone'), phoneHref ? el('a', { href: phoneHref }, p.phone) : null),
      field('email', t('field_email'), p.email ? (emailOk ? el('a', { href: `mailto:${String(p.email).trim()}` }, p.email) : p.email) : null),
      field('location_precision', t('field_location_precision'), [
        el('strong', { class: approx || !g ? 'approx-text' : '' }, precLabel),
        el('span', { class: 'explain' }, precExplain),
      ]),
      field('coordinates', t('field_coordinates'), g ? el('span', { class: 'coords' }, `${g[1].toFixed(6)}, ${g[0].toFixed(6)}`) : null),
      Number.isFinite(p.distance_km) ? field('distance_km', t('field_distance_km'), fmtKm(p.distance_km)) : null,
      field('updated_at', t('field_updated_at'), fmtDate(p.updated_at)),
      field('version', t('field_version'), p.version),
    );
    // Any attribute the contract does not name yet is still shown, under its raw key.
    for (const [k, v] of Object.entries(p)) {
      if (KNOWN_PROPS.has(k) || v === null || v === undefined || typeof v === 'object') continue;
      dl.append(field(k, k, String(v)));
    }

    const about = section('description', t('field_description'),
      p.description ? [el('p', { class: 'description' }, String(p.description))] : null);
    const programList = programItems(p.programs);
    const programs = section('programs', t('field_programs'),
      programList.length ? [el('ul', { class: 'program-list' }, programList)] : null);

    const srcs = (Array.isArray(p.source_urls) ? p.source_urls : p.source_urls ? [p.source_urls] : [])
      .map((u) => ({ raw: u, href: safeHttpUrl(u) }));
    const sources = el('section', { class: 'detail-section', dataset: { field: 'source_urls' } },
      el('h3', null, t('sources')),
      srcs.length
        ? el('ol', { class: 'link-list' }, srcs.map((s) => el('li', null, s.href ? link(s.href, prettyUrl(s.href)) : String(s.raw))))
        : el('p', { class: 'muted' }, t('noInfo')));

    const lookups = LOOKUPS.map((l) => ({ l, href: l.build(p, g, code) })).filter((x) => x.href);
    const lookup = el('section', { class: 'detail-section', dataset: { field: 'lookup' } },
      el('h3', null, t('lookup')),
      el('ul', { class: 'link-list', id: 'detail-lookup' }, lookups.map(({ l, href }) => el('li', null,
        l.internal ? el('a', { href, target: '_blank', rel: 'noopener' }, t(l.key)) : link(href, t(l.key))))));

    const permaHref = new URL(hashFor(code), location.href).href;
    const copyBtn = el('button', { type: 'button', class: 'link-btn', onclick: () => copyText(permaHref) }, t('copy'));
    const perma = el('section', { class: 'detail-section permalink', dataset: { field: 'permalink' } },
      el('h3', null, t('permalink')),
      el('p', null, el('a', { href: hashFor(code), id: 'detail-permalink' }, `#institution/${code}`), ' ', copyBtn));

    els.panelBody.replaceChildren(dl, about, programs, sources, lookup, perma);
    els.panelBody.scrollTop = 0;
    els.panel.scrollTop = 0;
  }

  async function copyText(text) {
    try {
      await navigator.clipboard.writeText(text);
      showStatus(t('copied'));
    } catch (e) {
      window.prompt(t('permalink'), text);
    }
  }

  // ------------------------------------------------------------------ near me
  async function initNearMe() {
    if (!('geolocation' in navigator) || !window.isSecureContext) return; // stays hidden
    els.nearMe.hidden = false;
    try {
      if (navigator.permissions && navigator.permissions.query) {
        const status = await navigator.permissions.query({ name: 'geolocation' });
        const apply = () => setNearMeDisabled(status.state === 'denied');
        apply();
        status.addEventListener('change', apply);
      }
    } catch (e) { /* permissions API unsupported: try on click */ }
  }

  function setNearMeDisabled(disabled) {
    els.nearMe.disabled = disabled;
    els.nearMe.title = disabled ? t('nearMeDenied') : t('nearMe');
  }

  function onNearMe() {
    showStatus(t('nearMeLocating'), { timeout: 0 });
    navigator.geolocation.getCurrentPosition((pos) => {
      els.status.hidden = true;
      const { longitude: lon, latitude: lat } = pos.coords;
      state.userPosition = [lon, lat];
      userSource.clear();
      userSource.addFeature(new ol.Feature(new ol.geom.Point(ol.proj.fromLonLat([lon, lat]))));
      els.input.value = '';
      showNearest(lon, lat);
    }, (err) => {
      showStatus(t('nearMeDenied'), { error: true });
      if (err && err.code === 1) setNearMeDisabled(true); // PERMISSION_DENIED
    }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 300000 });
  }

  // ------------------------------------------------------------------ legend + i18n
  function legendSymbol(kind, variant) {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('width', '22');
    svg.setAttribute('height', '22');
    svg.setAttribute('aria-hidden', 'true');
    const add = (name, attrs) => { const n = document.createElementNS(ns, name); for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v); svg.append(n); };
    if (variant === 'approx') add('circle', { cx: 12, cy: 12, r: 7, fill: '#fff', stroke: '#475569', 'stroke-width': 3, 'stroke-dasharray': '3 2.5' });
    else if (variant === 'cluster') { add('circle', { cx: 12, cy: 12, r: 11, fill: 'rgba(30,41,59,0.18)' }); add('circle', { cx: 12, cy: 12, r: 8, fill: 'rgba(30,41,59,0.88)', stroke: '#fff', 'stroke-width': 1.5 }); }
    else if (variant === 'province') add('line', { x1: 2, y1: 12, x2: 22, y2: 12, stroke: '#7f1d1d', 'stroke-width': 3 });
    else if (variant === 'district') add('line', { x1: 2, y1: 12, x2: 22, y2: 12, stroke: 'rgba(127,29,29,0.75)', 'stroke-width': 1.6, 'stroke-dasharray': '6 3' });
    else if (variant === 'commune') add('line', { x1: 2, y1: 12, x2: 22, y2: 12, stroke: 'rgba(71,85,105,0.8)', 'stroke-width': 1, 'stroke-dasharray': '2 3' });
    else if (variant === 'you') add('circle', { cx: 12, cy: 12, r: 6, fill: '#2563eb', stroke: '#fff', 'stroke-width': 2.5 });
    else add('circle', { cx: 12, cy: 12, r: 7, fill: kindColor(kind), stroke: '#fff', 'stroke-width': 2 });
    return svg;
  }

  function renderLegend() {
    const row = (sym, label, data) => el('li', { dataset: data || {} }, sym, el('span', null, label));
    els.legendItems.replaceChildren(
      ...KINDS.map((k) => row(legendSymbol(k), kindLabel(k), { kind: k })),
      row(legendSymbol(null, 'approx'), t('legendApprox'), { kind: 'approx' }),
      row(legendSymbol(null, 'cluster'), t('legendCluster')),
      row(legendSymbol(null, 'province'), t('legendProvince')),
      row(legendSymbol(null, 'district'), t('legendDistrict')),
      row(legendSymbol(null, 'commune'), t('legendCommune')),
    );
  }

  function applyStaticI18n() {
    document.documentElement.lang = lang;
    for (const n of document.querySelectorAll('[data-i18n]')) n.textContent = t(n.dataset.i18n);
    for (const n of document.querySelectorAll('[data-i18n-placeholder]')) n.placeholder = t(n.dataset.i18nPlaceholder);
    for (const n of document.querySelectorAll('[data-i18n-title]')) n.title = t(n.dataset.i18nTitle);
    for (const n of document.querySelectorAll('[data-i18n-aria-label]')) n.setAttribute('aria-label', t(n.dataset.i18nAriaLabel));
    els.langToggle.textContent = lang === 'vi' ? 'EN' : 'VI';
    els.langToggle.title = lang === 'vi' ? 'English' : 'Tiếng Việt';
    els.langToggle.lang = lang === 'vi' ? 'en' : 'vi';
    if (state.config && state.config.title && lang === 'vi') els.title.textContent = state.config.title;
    document.title = els.title.textContent;
  }

  function toggleLang() {
    lang = lang === 'vi' ? 'en' : 'vi';
    try { localStorage.setItem('vetmap.lang', lang); } catch (e) { /* ignore */ }
    applyStaticI18n();
    renderFilterOptions();
    renderLegend();
    if (els.results.dataset.state === 'done') renderList();
    if (state.detail && (state.detail.feature || state.detail.error)) renderDetail();
    if (els.nearMe.disabled) setNearMeDisabled(true);
  }

  // ------------------------------------------------------------------ start-up
  function bindUi() {
    const debouncedSearch = debounce(() => refreshList(), 250);
    els.input.addEventListener('input', debouncedSearch);
    els.form.addEventListener('submit', (e) => { e.preventDefault(); refreshList(); });
    els.input.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') { els.input.value = ''; refreshList(); }
      if (e.key === 'ArrowDown') { const b = els.results.querySelector('.result-btn'); if (b) { e.preventDefault(); b.focus(); } }
    });
    els.input.addEventListener('focus', () => { if (isPhone() && els.input.value.trim()) setListOpen(true); });
    els.results.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
      const btns = [...els.results.querySelectorAll('.result-btn')];
      const i = btns.indexOf(document.activeElement);
      if (i < 0) return;
      e.preventDefault();
      const next = btns[i + (e.key === 'ArrowDown' ? 1 : -1)];
      if (next) next.focus(); else if (e.key === 'ArrowUp') els.input.focus();
    });
    for (const s of [els.kind, els.ownership, els.district]) s.addEventListener('change', onFilterChange);
    els.reset.addEventListener('click', () => {
      els.kind.value = ''; els.ownership.value = ''; els.district.value = '';
      onFilterChange();
      if (map && state.provinceExtent) view.fit(state.provinceExtent, { padding: [24, 24, 24, 24], duration: 400 });
    });
    els.filtersToggle.addEventListener('click', () => {
      const open = !document.body.classList.contains('filters-open');
      document.body.classList.toggle('filters-open', open);
      els.filtersToggle.setAttribute('aria-expanded', String(open));
    });
    els.listToggle.addEventListener('click', () => setListOpen(!document.body.classList.contains('list-open')));
    els.listReset.addEventListener('click', () => { els.input.value = ''; userSource && userSource.clear(); loadAll(); });
    els.panelClose.addEventListener('click', () => closeDetail());
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !els.panel.hidden && document.activeElement !== els.input) closeDetail();
    });
    els.nearMe.addEventListener('click', onNearMe);
    els.langToggle.addEventListener('click', toggleLang);
    window.addEventListener('hashchange', () => route());
    window.addEventListener('resize', debounce(() => { if (map) { map.updateSize(); updateViewPadding(); } }, 150));
    if (window.matchMedia('(max-width: 700px)').matches) els.legend.open = false;
  }

  async function start() {
    applyStaticI18n();
    renderFilterOptions();
    renderLegend();
    bindUi();
    initNearMe();

    let cfg;
    try {
      cfg = await api('api/config');
    } catch (e) {
      showStatus(t('configError'), { error: true, timeout: 0 });
      document.documentElement.dataset.mapReady = 'error';
      return;
    }
    state.config = cfg;
    applyStaticI18n();
    buildMap(cfg);

    // The hash may name an institution: reopen its panel and centre the map on it.
    route({ initial: true });

    // List and district filter options load in parallel; neither blocks the map.
    refreshList();
    try {
      const fc = await api('api/collections/districts/items', { limit: 1000 });
      state.districts = (fc && fc.features) || [];
      renderFilterOptions();
    } catch (e) {
      showStatus(`${t('loadError')}: ${e.message}`, { error: true });
    }
  }

  // Exposed for debugging and for the browser test (read-only use).
  window.vetmap = {
    get map() { return map; },
    get state() { return state; },
  };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
