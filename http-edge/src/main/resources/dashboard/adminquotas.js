// The admin's quotas page: a chosen project's limits in each service (Nova's and Cinder's
// os-quota-sets/{project}, Neutron's quotas/{project}), each one changeable on its own (-1: no
// limit). The project list is Keystone's, which refuses a member: their page shows that only.
// Follows the live feed: a limit changed anywhere (the CLI, another admin) or a new project shows
// here, keeping what is typed in the fields.
import { api, current } from './api.js';
import { el, errorBox, actor, table, field, emptyRow, refuse, keepingInput } from './dom.js';
import * as live from './live.js';

const COLUMNS = ['Quota', 'Limit', 'Change'];

/** Each service's quota set of a project: how to read it and how to change one value. */
const SERVICES = [
  { key: 'compute', title: 'Compute',
    path: (p) => `/compute/v2.1/os-quota-sets/${encodeURIComponent(p)}`,
    read: (r) => r.quota_set, body: (values) => ({ quota_set: values }) },
  { key: 'network', title: 'Network',
    path: (p) => `/network/v2.0/quotas/${encodeURIComponent(p)}`,
    read: (r) => r.quota, body: (values) => ({ quota: values }) },
  { key: 'volume', title: 'Volumes',
    path: (p) => `/volume/v3/${encodeURIComponent(current().project.id)}/os-quota-sets/${encodeURIComponent(p)}`,
    read: (r) => r.quota_set, body: (values) => ({ quota_set: values }) },
];

export function render(main) {
  const heading = el('h1', {}, 'Quotas');
  const message = el('div', { 'aria-live': 'polite', id: 'quotas-message' });
  const picker = el('select', { id: 'quota-project', name: 'quota-project', onchange: () => load() });
  const sections = el('div', { id: 'quota-sets' });
  main.append(heading, el('div', { class: 'toolbar' }, ...field('Project', picker)), message, sections);
  let shown = false;

  async function load() {
    try {
      const projects = (await api.get('/identity/v3/projects')).projects.sort((a, b) => a.name.localeCompare(b.name));
      const chosen = shown ? picker.value : current().project.id;
      picker.replaceChildren(...projects.map((p) => el('option', { value: p.id, selected: p.id === chosen }, p.name)));
      shown = true;
      const project = picker.value;
      const sets = await Promise.all(SERVICES.map((s) => api.get(s.path(project)).then((r) => ({ values: s.read(r) }),
        (e) => ({ error: e.message }))));
      if (project !== picker.value) return; // another project was chosen meanwhile: its load shows it
      keepingInput(sections, () => sections.replaceChildren(...SERVICES.map((s, i) => section(s, project, sets[i]))));
    } catch (e) {
      if (shown) message.replaceChildren(errorBox(e.message));
      else refuse(main, heading, e);
    }
  }

  function section(service, project, { values, error }) {
    const entries = Object.entries(values || {}).filter(([, v]) => typeof v === 'number');
    const body = el('tbody', { id: 'quotas-' + service.key }, entries.map(([key, limit]) => {
      const id = `quota-${service.key}-${key}`;
      const input = el('input', { id, type: 'number', min: -1, step: 1, value: limit, class: 'size',
        'aria-label': `New ${service.title.toLowerCase()} limit for ${key}` });
      const set = () => act(() => api.put(service.path(project), service.body({ [key]: Number(input.value) })));
      return el('tr', { 'data-id': `${service.key}/${key}`, 'data-project': project },
        el('td', { class: 'name' }, key), el('td', { class: 'limit' }, limit < 0 ? 'no limit' : String(limit)),
        el('td', { class: 'actions' }, input, el('button', { type: 'button', 'data-action': 'Set', onclick: set }, 'Set')));
    }));
    if (!error && entries.length === 0) body.append(emptyRow(COLUMNS.length, 'No quotas.'));
    return el('section', { 'aria-label': service.title }, el('h2', {}, service.title),
      error ? errorBox(error) : table(service.title + ' quotas', COLUMNS, body));
  }

  const act = actor(message, load);
  const unfollow = live.follow(['quota', 'project'], load);
  load();
  return unfollow;
}
