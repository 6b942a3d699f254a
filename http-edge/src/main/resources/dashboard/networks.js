// The networks page: the project's networks (and those shared with it) with their subnets, the
// forms that create a network and a subnet, deletes, and the ports on them. Follows the live feed
// of networks (a subnet changes with its network) and ports.
import { all, api, canChange } from './api.js';
import { el, errorBox, actor, confirmButton, table, field, emptyRow, readOnlyNotice } from './dom.js';
import * as live from './live.js';

const NET = '/network/v2.0';
const NETWORK_COLUMNS = ['Name', 'Subnets', 'Status', 'Shared', 'External'];
const PORT_COLUMNS = ['Name', 'Network', 'Fixed IPs', 'Attached to', 'Status'];

export function render(main) {
  const message = el('div', { 'aria-live': 'polite', id: 'networks-message' });
  const networksBody = el('tbody', { id: 'networks' });
  const portsBody = el('tbody', { id: 'ports' });
  const subnetNetwork = el('select', { id: 'subnet-network', name: 'subnet-network' });
  const networkForm = el('form', { id: 'network-form', class: 'panel' },
    el('h2', {}, 'Create a network'),
    field('Name', el('input', { id: 'network-name', name: 'network-name', maxlength: 255, autocomplete: 'off' })),
    el('div', { class: 'toolbar' }, el('button', { type: 'submit', class: 'primary', id: 'network-create' }, 'Create network')));
  const subnetForm = el('form', { id: 'subnet-form', class: 'panel' },
    el('h2', {}, 'Create a subnet'),
    field('Network', subnetNetwork),
    field('Name', el('input', { id: 'subnet-name', name: 'subnet-name', maxlength: 255, autocomplete: 'off' })),
    field('CIDR', el('input', { id: 'subnet-cidr', name: 'subnet-cidr', placeholder: '192.168.10.0/24', autocomplete: 'off' })),
    field('Gateway (empty: the first address)', el('input', { id: 'subnet-gateway', name: 'subnet-gateway', autocomplete: 'off' })),
    el('label', { class: 'check' }, el('input', { type: 'checkbox', id: 'subnet-dhcp', name: 'subnet-dhcp', checked: true }), 'DHCP'),
    el('div', { class: 'toolbar' }, el('button', { type: 'submit', class: 'primary', id: 'subnet-create' }, 'Create subnet')));
  const changes = canChange();
  const columns = changes ? [...NETWORK_COLUMNS, 'Actions'] : NETWORK_COLUMNS;
  main.append(el('h1', {}, 'Networks'), message,
    table('Networks', columns, networksBody),
    changes ? el('div', { class: 'forms' }, networkForm, subnetForm) : readOnlyNotice(),
    el('h2', {}, 'Ports'), table('Ports', PORT_COLUMNS, portsBody));

  let networks = null;
  let subnets = null;
  let ports = null;

  async function load() {
    try {
      [networks, subnets, ports] = await all([
        api.get(NET + '/networks').then((r) => r.networks),
        api.get(NET + '/subnets').then((r) => r.subnets),
        api.get(NET + '/ports').then((r) => r.ports)]);
      show();
    } catch (e) {
      message.replaceChildren(errorBox(e.message));
    }
  }

  /**
   * A network's change reads that network and its subnets again (its subnets change with it), a
   * port's that port; one gone is removed.
   */
  async function changed(changes) {
    if (changes === null || networks === null) return load();
    try {
      const [ofNetworks, ofPorts] = await all([
        live.reread(changes, 'network', (id) => all([
          api.get(`${NET}/networks/${encodeURIComponent(id)}`).then((r) => r.network),
          api.get(`${NET}/subnets?network_id=${encodeURIComponent(id)}`).then((r) => r.subnets)])
          .then(([network, itsSubnets]) => ({ ...network, itsSubnets }))),
        live.reread(changes, 'port', (id) => api.get(`${NET}/ports/${encodeURIComponent(id)}`).then((r) => r.port))]);
      const changedNetworks = new Set(ofNetworks.map((n) => n.id));
      subnets = [...subnets.filter((sub) => !changedNetworks.has(sub.network_id)),
        ...ofNetworks.flatMap(({ item }) => (item ? item.itsSubnets : []))];
      networks = live.merge(networks, ofNetworks.map(({ id, item }) => {
        if (!item) return { id, item };
        const { itsSubnets, ...network } = item;
        return { id, item: network };
      }), { last: true });
      ports = live.merge(ports, ofPorts, { last: true });
      show();
    } catch (e) {
      message.replaceChildren(errorBox(e.message));
    }
  }

  function show() {
    const names = new Map(networks.map((n) => [n.id, n.name || n.id]));
    networksBody.replaceChildren(...networks.map((n) => networkRow(n, subnets.filter((s) => s.network_id === n.id))));
    if (networks.length === 0) networksBody.append(emptyRow(columns.length, 'No networks.'));
    const chosen = subnetNetwork.value;
    subnetNetwork.replaceChildren(...networks.filter((n) => !n['router:external'] || n.shared)
      .map((n) => el('option', { value: n.id, selected: n.id === chosen }, n.name || n.id)));
    portsBody.replaceChildren(...ports.map((p) => el('tr', { 'data-id': p.id },
      el('td', {}, p.name || p.id),
      el('td', {}, names.get(p.network_id) || p.network_id),
      el('td', {}, (p.fixed_ips || []).map((ip) => ip.ip_address).join(', ')),
      el('td', {}, p.device_owner ? `${p.device_owner} ${p.device_id}` : ''),
      el('td', {}, p.status))));
    if (ports.length === 0) portsBody.append(emptyRow(PORT_COLUMNS.length, 'No ports.'));
  }

  function networkRow(n, subnets) {
    const list = el('ul', { class: 'plain' }, subnets.map((s) => el('li', { 'data-subnet': s.id },
      `${s.name ? s.name + ' ' : ''}${s.cidr}`, ' ',
      changes && confirmButton('Delete', () => act(() => api.del(`${NET}/subnets/${encodeURIComponent(s.id)}`)),
        { 'aria-label': `Delete subnet ${s.name || s.cidr}` }))));
    return el('tr', { 'data-id': n.id },
      el('td', { class: 'name' }, n.name || n.id),
      el('td', { class: 'subnets' }, list),
      el('td', {}, n.status),
      el('td', {}, n.shared ? 'yes' : 'no'),
      el('td', {}, n['router:external'] ? 'yes' : 'no'),
      changes && el('td', { class: 'actions' }, confirmButton('Delete', () => act(() => api.del(`${NET}/networks/${encodeURIComponent(n.id)}`)),
        { 'aria-label': `Delete network ${n.name || n.id}` })));
  }

  const act = actor(message, load);

  networkForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = networkForm.elements['network-name'].value.trim();
    act(async () => {
      await api.post(NET + '/networks', { network: { name } });
      networkForm.reset();
    });
  });

  subnetForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = (name) => subnetForm.elements[name].value.trim();
    if (!value('subnet-network') || !value('subnet-cidr')) {
      message.replaceChildren(errorBox('Choose a network and give the subnet a CIDR.'));
      return;
    }
    const subnet = { network_id: value('subnet-network'), name: value('subnet-name'), cidr: value('subnet-cidr'),
      ip_version: value('subnet-cidr').includes(':') ? 6 : 4, enable_dhcp: subnetForm.elements['subnet-dhcp'].checked };
    if (value('subnet-gateway')) subnet.gateway_ip = value('subnet-gateway');
    act(async () => {
      await api.post(NET + '/subnets', { subnet });
      subnetForm.reset();
    });
  });

  const unfollow = live.follow(['network', 'port'], changed);
  load();
  return unfollow;
}
