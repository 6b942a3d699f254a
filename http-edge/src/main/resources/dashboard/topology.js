// The topology: routers, networks and servers as an SVG picture, joined where a port of the one
// is on the other (a port's device_owner and device_id say whose it is), every label as text,
// and the same links as a list for screen readers. Follows the live feed of servers, networks,
// routers and ports.
import { api } from './api.js';
import { el, errorBox } from './dom.js';
import * as live from './live.js';

const SVG = 'http://www.w3.org/2000/svg';
const BOX = { width: 210, height: 44, gap: 18 };
const COLUMN = { router: 10, network: 300, server: 590 };

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Longer labels are cut to fit the box; the full one is the box's title (a tooltip, and read aloud). */
function cut(text, max) {
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}

/** The boxes and links the ports imply. */
function model(networks, routers, servers, ports, subnets) {
  const cidrs = new Map();
  subnets.forEach((s) => cidrs.set(s.network_id, [...(cidrs.get(s.network_id) || []), s.cidr]));
  const servered = new Map(servers.map((s) => [s.id, s]));
  const routed = new Map(routers.map((r) => [r.id, r]));
  const links = [];
  for (const p of ports) {
    const owner = p.device_owner || '';
    const kind = owner.startsWith('compute:') && servered.has(p.device_id) ? 'server'
      : owner.startsWith('network:router_') && routed.has(p.device_id) ? 'router' : null;
    if (!kind) continue;
    links.push({ kind, from: p.device_id, network: p.network_id, addresses: (p.fixed_ips || []).map((ip) => ip.ip_address) });
  }
  const known = new Set(networks.map((n) => n.id));
  return {
    routers: routers.map((r) => ({ id: r.id, label: r.name || r.id, detail: r.status })),
    networks: networks.map((n) => ({ id: n.id, label: n.name || n.id, detail: (cidrs.get(n.id) || []).join(', ') || 'no subnet' })),
    servers: servers.map((s) => ({ id: s.id, label: s.name, detail: s.status })),
    links: links.filter((l) => known.has(l.network)),
  };
}

function picture(m) {
  const rows = Math.max(1, m.routers.length, m.networks.length, m.servers.length);
  const height = rows * (BOX.height + BOX.gap) + 40;
  const pic = svg('svg', { id: 'topology-picture', class: 'topology', viewBox: `0 0 810 ${height}`, role: 'img',
    'aria-labelledby': 'topology-title' });
  pic.append(svg('title', { id: 'topology-title' }, 'Network topology: routers, networks and servers'));
  [['router', 'Routers'], ['network', 'Networks'], ['server', 'Servers']].forEach(([kind, title]) =>
    pic.append(svg('text', { x: COLUMN[kind], y: 16, class: 'column-title' }, title)));
  const place = new Map();
  const boxes = [];
  for (const [kind, list] of [['router', m.routers], ['network', m.networks], ['server', m.servers]]) {
    list.forEach((item, i) => {
      const x = COLUMN[kind];
      const y = 30 + i * (BOX.height + BOX.gap);
      place.set(kind + ':' + item.id, { x, y });
      const g = svg('g', { class: 'node node-' + kind, 'data-kind': kind, 'data-id': item.id });
      g.append(svg('title', {}, `${kind} ${item.label}: ${item.detail}`),
        svg('rect', { x, y, width: BOX.width, height: BOX.height, rx: 5 }),
        svg('text', { x: x + 8, y: y + 18, class: 'label' }, cut(item.label, 26)),
        svg('text', { x: x + 8, y: y + 35, class: 'detail' }, cut(item.detail, 30)));
      boxes.push(g);
    });
  }
  for (const link of m.links) {
    const from = place.get(link.kind + ':' + link.from);
    const to = place.get('network:' + link.network);
    if (!from || !to) continue;
    // routers sit left of the networks, servers right: each line joins the facing edges
    const x1 = link.kind === 'router' ? from.x + BOX.width : from.x;
    const x2 = link.kind === 'router' ? to.x : to.x + BOX.width;
    pic.append(svg('line', { class: 'link link-' + link.kind, x1, y1: from.y + BOX.height / 2, x2, y2: to.y + BOX.height / 2,
      'data-from': link.from, 'data-to': link.network }));
  }
  pic.append(...boxes);
  return pic;
}

function linkList(m) {
  const name = new Map([...m.routers.map((r) => ['router:' + r.id, r.label]), ...m.servers.map((s) => ['server:' + s.id, s.label]),
    ...m.networks.map((n) => ['network:' + n.id, n.label])]);
  return el('ul', { id: 'topology-links' }, m.links.map((l) => el('li', { 'data-from': l.from, 'data-to': l.network },
    `${l.kind} ${name.get(l.kind + ':' + l.from)} is on network ${name.get('network:' + l.network)}`
      + (l.addresses.length ? ` (${l.addresses.join(', ')})` : ''))));
}

export function render(main) {
  const message = el('div', { 'aria-live': 'polite', id: 'topology-message' });
  const holder = el('div', { class: 'topology-wrap', id: 'topology' });
  const list = el('section', { 'aria-label': 'Connections' });
  main.append(el('h1', {}, 'Network topology'), message, holder, el('h2', {}, 'Connections'), list);
  let loading = null;
  let again = false;

  // a change while a load runs loads once more after it, so the last change is always shown
  async function load() {
    if (loading) {
      again = true;
      return loading;
    }
    loading = (async () => {
      try {
        const [networks, routers, ports, subnets, servers] = await Promise.all([
          api.get('/network/v2.0/networks').then((r) => r.networks),
          api.get('/network/v2.0/routers').then((r) => r.routers),
          api.get('/network/v2.0/ports').then((r) => r.ports),
          api.get('/network/v2.0/subnets').then((r) => r.subnets),
          api.get('/compute/v2.1/servers/detail').then((r) => r.servers)]);
        const m = model(networks, routers, servers, ports, subnets);
        holder.replaceChildren(picture(m));
        list.replaceChildren(linkList(m));
        message.replaceChildren();
      } catch (e) {
        message.replaceChildren(errorBox(e.message));
      } finally {
        loading = null;
        if (again) {
          again = false;
          load();
        }
      }
    })();
    return loading;
  }

  const unfollow = live.follow(['server', 'network', 'router', 'port'], load);
  load();
  return unfollow;
}
