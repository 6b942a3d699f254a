// The volumes page: the project's volumes (Cinder's detail list) with the server each is attached
// to; create, extend, attach to one of the project's servers (Nova's os-volume_attachments),
// detach, delete. The list follows the live feed: a change of a volume (or a server, whose names
// it shows) made anywhere shows here without a reload.
import { api, current, canChange } from './api.js';
import { el, errorBox, actor, confirmButton, table, field, emptyRow, readOnlyNotice, keepingInput } from './dom.js';
import * as live from './live.js';

const COLUMNS = ['Name', 'Size', 'Status', 'Attached to'];

const options = (list, blank) => [el('option', { value: '' }, blank),
  ...list.map(([value, text]) => el('option', { value }, text))];

export function render(main) {
  const base = `/volume/v3/${encodeURIComponent(current().project.id)}/volumes`;
  const message = el('div', { 'aria-live': 'polite', id: 'volumes-message' });
  const body = el('tbody', { id: 'volumes' });
  const createForm = el('form', { id: 'volume-form', class: 'panel' },
    el('h2', {}, 'Create a volume'),
    field('Name', el('input', { id: 'volume-name', name: 'volume-name', maxlength: 255, autocomplete: 'off' })),
    field('Size (GB)', el('input', { id: 'volume-size', name: 'volume-size', type: 'number', min: 1, step: 1, value: 1 })),
    field('Description', el('input', { id: 'volume-description', name: 'volume-description', maxlength: 255, autocomplete: 'off' })),
    el('div', { class: 'toolbar' }, el('button', { type: 'submit', class: 'primary', id: 'volume-create' }, 'Create volume')));
  const changes = canChange();
  const columns = changes ? [...COLUMNS, 'Actions'] : COLUMNS;
  main.append(el('h1', {}, 'Volumes'), message, table('Volumes', columns, body),
    changes ? el('div', { class: 'forms' }, createForm) : readOnlyNotice());

  let shown = null; // what the rows show: rendered again only when it changes, so typing is not lost
  const project = current().project.id;
  let volumes = null;
  let servers = null; // the project's, {id, name}: the names of the servers volumes are attached to

  async function load() {
    try {
      [volumes, servers] = await Promise.all([
        api.get(base + '/detail').then((r) => r.volumes),
        api.get('/compute/v2.1/servers').then((r) => r.servers.map(({ id, name }) => ({ id, name })))]);
      refresh();
    } catch (e) {
      message.replaceChildren(errorBox(e.message));
    }
  }

  function refresh() {
    const data = JSON.stringify([volumes, servers]);
    if (data !== shown) {
      shown = data;
      keepingInput(body, () => show(volumes, servers));
    }
  }

  /** A change of a volume or a server reads that one again (the cloud's admin hears of other projects': left out). */
  async function changed(changes) {
    if (changes === null || volumes === null) return load();
    try {
      const [ofVolumes, ofServers] = await Promise.all([
        live.reread(changes, 'volume', (id) => api.get(`${base}/${encodeURIComponent(id)}`).then((r) => r.volume),
          (v) => (v['os-vol-tenant-attr:tenant_id'] || project) === project),
        live.reread(changes, 'server', (id) => api.get('/compute/v2.1/servers/' + encodeURIComponent(id))
          .then(({ server }) => ({ id: server.id, name: server.name, project: server.tenant_id })),
        (s) => s.project === project)]);
      volumes = live.merge(volumes, ofVolumes);
      servers = live.merge(servers, ofServers.map(({ id, item }) => ({ id, item: item && { id: item.id, name: item.name } })));
      refresh();
    } catch (e) {
      message.replaceChildren(errorBox(e.message));
    }
  }

  function show(volumes, servers) {
    const names = new Map(servers.map((s) => [s.id, s.name]));
    const choices = servers.map((s) => [s.id, s.name || s.id]);
    body.replaceChildren(...volumes.map((v) => row(v, names, choices)));
    if (volumes.length === 0) body.append(emptyRow(columns.length, 'No volumes.'));
  }

  function row(v, names, choices) {
    const path = `${base}/${encodeURIComponent(v.id)}`;
    const label = v.name || v.id;
    const attachments = v.attachments || [];
    const actions = [];
    if (v.status === 'available') {
      const size = el('input', { id: 'extend-' + v.id, type: 'number', min: 1, step: 1, class: 'size',
        'aria-label': 'New size in GB of ' + label });
      const server = el('select', { id: 'attach-' + v.id, 'aria-label': 'Server to attach ' + label + ' to' },
        ...options(choices, 'Choose a server'));
      actions.push(size, el('button', { type: 'button', 'data-action': 'Extend', onclick: () => size.value
        ? act(() => api.post(path + '/action', { 'os-extend': { new_size: Number(size.value) } }))
        : message.replaceChildren(errorBox('Give the new size in GB.')) }, 'Extend'),
      server, el('button', { type: 'button', 'data-action': 'Attach', onclick: () => server.value
        ? act(() => api.post(`/compute/v2.1/servers/${encodeURIComponent(server.value)}/os-volume_attachments`,
          { volumeAttachment: { volumeId: v.id } }))
        : message.replaceChildren(errorBox('Choose a server to attach the volume to.')) }, 'Attach'));
    }
    for (const a of attachments) {
      actions.push(el('button', { type: 'button', 'data-action': 'Detach', 'aria-label': 'Detach ' + label,
        onclick: () => act(() => api.del(`/compute/v2.1/servers/${encodeURIComponent(a.server_id)}`
          + `/os-volume_attachments/${encodeURIComponent(v.id)}`)) }, 'Detach'));
    }
    actions.push(confirmButton('Delete', () => act(() => api.del(path)), { 'aria-label': 'Delete volume ' + label }));
    return el('tr', { 'data-id': v.id },
      el('td', { class: 'name' }, v.name || ''),
      el('td', { class: 'size' }, `${v.size} GB`),
      el('td', { class: 'status status-' + v.status }, v.status),
      el('td', { class: 'attached' }, attachments.map((a) => el('span', { 'data-server': a.server_id },
        el('a', { href: '#/servers/' + encodeURIComponent(a.server_id) }, names.get(a.server_id) || a.server_id),
        a.device ? ' on ' + a.device : ''))),
      changes ? el('td', { class: 'actions' }, actions) : null);
  }

  const act = actor(message, load);

  createForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const size = createForm.elements['volume-size'].value;
    if (!size) {
      message.replaceChildren(errorBox('Give the volume a size in GB.'));
      return;
    }
    const volume = { size: Number(size), name: createForm.elements['volume-name'].value.trim() };
    const description = createForm.elements['volume-description'].value.trim();
    if (description) volume.description = description;
    act(async () => {
      await api.post(base, { volume });
      createForm.reset();
    });
  });

  const unfollow = live.follow(['volume', 'server'], changed);
  load();
  return unfollow;
}
