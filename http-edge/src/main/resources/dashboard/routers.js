// The routers page: routers (create, with an external gateway if one is chosen; add an interface
// on a subnet; delete) and floating IPs (allocate from an external network, associate with a
// port, disassociate, release). Follows the live feed of routers, floating IPs and networks.
import { all, api, canChange } from './api.js';
import { el, errorBox, actor, confirmButton, table, field, emptyRow, readOnlyNotice, keepingInput } from './dom.js';
import * as live from './live.js';

const NET = '/network/v2.0';
const ROUTER_COLUMNS = ['Name', 'Status', 'External gateway', 'Interfaces'];
const FIP_COLUMNS = ['Address', 'Network', 'Fixed address', 'Port'];

const options = (list, blank) => [blank ? el('option', { value: '' }, blank) : null,
  ...list.map(([value, text]) => el('option', { value }, text))];

export function render(main) {
  const message = el('div', { 'aria-live': 'polite', id: 'routers-message' });
  const routersBody = el('tbody', { id: 'routers' });
  const fipsBody = el('tbody', { id: 'floating-ips' });
  const gateway = el('select', { id: 'router-gateway', name: 'router-gateway' });
  const pool = el('select', { id: 'fip-network', name: 'fip-network' });
  const routerForm = el('form', { id: 'router-form', class: 'panel' },
    el('h2', {}, 'Create a router'),
    field('Name', el('input', { id: 'router-name', name: 'router-name', maxlength: 255, autocomplete: 'off' })),
    field('External network', gateway),
    el('div', { class: 'toolbar' }, el('button', { type: 'submit', class: 'primary', id: 'router-create' }, 'Create router')));
  const fipForm = el('form', { id: 'fip-form', class: 'panel' },
    el('h2', {}, 'Allocate a floating IP'),
    field('External network', pool),
    el('div', { class: 'toolbar' }, el('button', { type: 'submit', class: 'primary', id: 'fip-allocate' }, 'Allocate')));
  const changes = canChange();
  const withActions = (columns) => (changes ? [...columns, 'Actions'] : columns);
  main.append(el('h1', {}, 'Routers'), message, table('Routers', withActions(ROUTER_COLUMNS), routersBody),
    el('h2', {}, 'Floating IPs'), table('Floating IPs', withActions(FIP_COLUMNS), fipsBody),
    changes ? el('div', { class: 'forms' }, routerForm, fipForm) : readOnlyNotice());

  let listed = null; // [routers, networks, subnets, ports, fips] as last read

  async function load() {
    try {
      listed = await all([
        api.get(NET + '/routers').then((r) => r.routers),
        api.get(NET + '/networks').then((r) => r.networks),
        api.get(NET + '/subnets').then((r) => r.subnets),
        api.get(NET + '/ports').then((r) => r.ports),
        api.get(NET + '/floatingips').then((r) => r.floatingips)]);
      keepingInput(main, () => show(...listed));
    } catch (e) {
      message.replaceChildren(errorBox(e.message));
    }
  }

  /**
   * A router's change reads that router and its ports (its interfaces) again, a floating IP's that
   * floating IP; a network's (the external ones, the subnets' names) reads everything again.
   */
  async function changed(changes) {
    if (changes === null || listed === null || changes.some((c) => c.kind === 'network')) return load();
    try {
      const [ofRouters, ofFips] = await all([
        live.reread(changes, 'router', (id) => all([
          api.get(`${NET}/routers/${encodeURIComponent(id)}`).then((r) => r.router),
          api.get(`${NET}/ports?device_id=${encodeURIComponent(id)}`).then((r) => r.ports)])
          .then(([router, itsPorts]) => ({ router, itsPorts }))),
        live.reread(changes, 'floatingip', (id) => api.get(`${NET}/floatingips/${encodeURIComponent(id)}`).then((r) => r.floatingip))]);
      const [routers, networks, subnets, ports, fips] = listed;
      const changedRouters = new Set(ofRouters.map((r) => r.id));
      listed = [
        live.merge(routers, ofRouters.map(({ id, item }) => ({ id, item: item && item.router })), { last: true }),
        networks, subnets,
        [...ports.filter((p) => !changedRouters.has(p.device_id)), ...ofRouters.flatMap(({ item }) => (item ? item.itsPorts : []))],
        live.merge(fips, ofFips, { last: true })];
      keepingInput(main, () => show(...listed));
    } catch (e) {
      message.replaceChildren(errorBox(e.message));
    }
  }

  function show(routers, networks, subnets, ports, fips) {
    const netName = new Map(networks.map((n) => [n.id, n.name || n.id]));
    const external = networks.filter((n) => n['router:external']).map((n) => [n.id, n.name || n.id]);
    gateway.replaceChildren(...options(external, 'None'));
    pool.replaceChildren(...options(external));
    const subnetOptions = subnets.map((s) => [s.id, `${s.name || s.id} (${s.cidr}, ${netName.get(s.network_id) || s.network_id})`]);
    routersBody.replaceChildren(...routers.map((r) => routerRow(r, ports, subnets, subnetOptions, netName)));
    if (routers.length === 0) routersBody.append(emptyRow(withActions(ROUTER_COLUMNS).length, 'No routers.'));
    const attachable = ports.filter((p) => (p.device_owner || '').startsWith('compute:'))
      .map((p) => [p.id, `${(p.fixed_ips || []).map((ip) => ip.ip_address).join(', ')} (${p.device_id})`]);
    fipsBody.replaceChildren(...fips.map((f) => fipRow(f, netName, attachable)));
    if (fips.length === 0) fipsBody.append(emptyRow(withActions(FIP_COLUMNS).length, 'No floating IPs.'));
  }

  function routerRow(r, ports, subnets, subnetOptions, netName) {
    const path = `${NET}/routers/${encodeURIComponent(r.id)}`;
    const cidr = new Map(subnets.map((s) => [s.id, s.cidr]));
    const interfaces = ports.filter((p) => p.device_id === r.id && p.device_owner === 'network:router_interface')
      .flatMap((p) => p.fixed_ips || []).map((ip) => el('li', {}, `${ip.ip_address} (${cidr.get(ip.subnet_id) || ip.subnet_id}) `,
        changes && confirmButton('Remove', () => act(() => api.put(path + '/remove_router_interface', { subnet_id: ip.subnet_id })),
          { 'aria-label': 'Remove interface ' + ip.ip_address })));
    const subnet = el('select', { id: 'interface-' + r.id, 'aria-label': 'Subnet for a new interface of ' + (r.name || r.id) },
      ...options(subnetOptions, 'Choose a subnet'));
    const gw = r.external_gateway_info;
    return el('tr', { 'data-id': r.id },
      el('td', { class: 'name' }, r.name || r.id),
      el('td', {}, r.status),
      el('td', {}, gw ? `${netName.get(gw.network_id) || gw.network_id} ${(gw.external_fixed_ips || []).map((i) => i.ip_address).join(', ')}` : ''),
      el('td', { class: 'interfaces' }, el('ul', { class: 'plain' }, interfaces)),
      changes && el('td', { class: 'actions' }, subnet,
        el('button', { type: 'button', 'data-action': 'Add interface', onclick: () => subnet.value
          ? act(() => api.put(path + '/add_router_interface', { subnet_id: subnet.value }))
          : message.replaceChildren(errorBox('Choose a subnet for the interface.')) }, 'Add interface'),
        confirmButton('Delete', () => act(() => api.del(path)), { 'aria-label': 'Delete router ' + (r.name || r.id) })));
  }

  function fipRow(f, netName, attachable) {
    const path = `${NET}/floatingips/${encodeURIComponent(f.id)}`;
    const port = el('select', { id: 'associate-' + f.id, 'aria-label': 'Port for ' + f.floating_ip_address },
      ...options(attachable, 'Choose a port'));
    const associate = f.port_id
      ? el('button', { type: 'button', 'data-action': 'Disassociate', onclick: () => act(() => api.put(path, { floatingip: { port_id: null } })) }, 'Disassociate')
      : [port, el('button', { type: 'button', 'data-action': 'Associate', onclick: () => port.value
        ? act(() => api.put(path, { floatingip: { port_id: port.value } }))
        : message.replaceChildren(errorBox('Choose a port to associate.')) }, 'Associate')];
    return el('tr', { 'data-id': f.id },
      el('td', { class: 'address' }, f.floating_ip_address),
      el('td', {}, netName.get(f.floating_network_id) || f.floating_network_id),
      el('td', {}, f.fixed_ip_address || ''),
      el('td', {}, f.port_id || ''),
      changes && el('td', { class: 'actions' }, associate,
        confirmButton('Release', () => act(() => api.del(path)), { 'aria-label': 'Release ' + f.floating_ip_address })));
  }

  const act = actor(message, load);

  routerForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const router = { name: routerForm.elements['router-name'].value.trim() };
    if (gateway.value) router.external_gateway_info = { network_id: gateway.value };
    act(async () => {
      await api.post(NET + '/routers', { router });
      routerForm.reset();
    });
  });

  fipForm.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!pool.value) {
      message.replaceChildren(errorBox('There is no external network to allocate from.'));
      return;
    }
    act(() => api.post(NET + '/floatingips', { floatingip: { floating_network_id: pool.value } }));
  });

  const unfollow = live.follow(['router', 'floatingip', 'network'], changed);
  load();
  return unfollow;
}
