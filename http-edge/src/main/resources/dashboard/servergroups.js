// The server groups page: the project's server groups with their policy and members; creating one
// (the soft policies are Nova's 2.15, so the create asks for that microversion), deleting. The
// launch dialog puts a server in a group. Refreshes on its own actions and when servers change.
import { all, api, canChange } from './api.js';
import { el, errorBox, actor, confirmButton, table, field, emptyRow, readOnlyNotice } from './dom.js';
import * as live from './live.js';

const PATH = '/compute/v2.1/os-server-groups';
const COLUMNS = ['Name', 'Policy', 'Members'];
const POLICIES = ['affinity', 'anti-affinity', 'soft-affinity', 'soft-anti-affinity'];

/** The project's server groups, for the launch dialog too. */
export function list() {
  return api.get(PATH).then((r) => r.server_groups);
}

export function render(main) {
  const message = el('div', { 'aria-live': 'polite', id: 'server-groups-message' });
  const body = el('tbody', { id: 'server-groups' });
  const form = el('form', { id: 'server-group-form', class: 'panel' },
    el('h2', {}, 'Create a server group'),
    field('Name', el('input', { id: 'server-group-name', name: 'server-group-name', maxlength: 255, autocomplete: 'off' })),
    field('Policy', el('select', { id: 'server-group-policy', name: 'server-group-policy' },
      POLICIES.map((p) => el('option', { value: p }, p)))),
    el('div', { class: 'toolbar' }, el('button', { type: 'submit', class: 'primary', id: 'server-group-create' }, 'Create group')));
  const changes = canChange();
  const columns = changes ? [...COLUMNS, 'Actions'] : COLUMNS;
  main.append(el('h1', {}, 'Server groups'), message, table('Server groups', columns, body),
    changes ? el('div', { class: 'forms' }, form) : readOnlyNotice());

  let known = new Set();

  async function load() {
    try {
      const [groups, servers] = await all([list(),
        api.get('/compute/v2.1/servers').then((r) => r.servers)]);
      known = new Set(servers.map((s) => s.id));
      const names = new Map(servers.map((s) => [s.id, s.name]));
      body.replaceChildren(...groups.map((g) => el('tr', { 'data-id': g.id },
        el('td', { class: 'name' }, g.name),
        el('td', { class: 'policy' }, (g.policies || [g.policy]).join(', ')),
        el('td', { class: 'members' }, el('ul', { class: 'plain' }, g.members.map((id) => el('li', { 'data-server': id },
          el('a', { href: '#/servers/' + encodeURIComponent(id) }, names.get(id) || id))))),
        changes && el('td', { class: 'actions' }, confirmButton('Delete', () => act(() => api.del(`${PATH}/${encodeURIComponent(g.id)}`)),
          { 'aria-label': 'Delete server group ' + g.name })))));
      if (groups.length === 0) body.append(emptyRow(columns.length, 'No server groups.'));
    } catch (e) {
      message.replaceChildren(errorBox(e.message));
    }
  }

  const act = actor(message, load);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const group = { name: form.elements['server-group-name'].value.trim(), policies: [form.elements['server-group-policy'].value] };
    act(async () => {
      await api.post(PATH, { server_group: group }, { 'OpenStack-API-Version': 'compute 2.15' });
      form.reset();
    });
  });

  // a server made (its group holds it before it exists) or deleted anywhere joins or leaves its group
  const unsubscribe = live.subscribe((change) => {
    if (change.ready || change.status === 'DELETED' || !known.has(change.id)) load();
  });
  load();
  return unsubscribe;
}
