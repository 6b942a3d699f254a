// The volume snapshots page: the project's snapshots (Cinder's detail list) with the volume each
// was taken of; take one of a volume, make a new volume from one, delete one. Follows the live
// feed of snapshots and volumes, as the volumes page does.
import { api, current, canChange } from './api.js';
import { el, errorBox, actor, confirmButton, table, field, emptyRow, readOnlyNotice, keepingInput } from './dom.js';
import * as live from './live.js';

const COLUMNS = ['Name', 'Size', 'Status', 'Volume', 'Created'];

export function render(main) {
  const base = `/volume/v3/${encodeURIComponent(current().project.id)}`;
  const message = el('div', { 'aria-live': 'polite', id: 'snapshots-message' });
  const body = el('tbody', { id: 'snapshots' });
  const volumeChoice = el('select', { id: 'snapshot-volume', name: 'snapshot-volume' });
  const createForm = el('form', { id: 'snapshot-form', class: 'panel' },
    el('h2', {}, 'Take a snapshot'),
    field('Volume', volumeChoice),
    field('Name', el('input', { id: 'snapshot-name', name: 'snapshot-name', maxlength: 255, autocomplete: 'off' })),
    field('Description', el('input', { id: 'snapshot-description', name: 'snapshot-description', maxlength: 255,
      autocomplete: 'off' })),
    el('div', { class: 'toolbar' }, el('button', { type: 'submit', class: 'primary', id: 'snapshot-create' }, 'Take snapshot')));
  const changes = canChange();
  const columns = changes ? [...COLUMNS, 'Actions'] : COLUMNS;
  main.append(el('h1', {}, 'Volume snapshots'), message, table('Volume snapshots', columns, body),
    changes ? el('div', { class: 'forms' }, createForm) : readOnlyNotice());

  let shown = null; // what the page shows: rendered again only when it changes, so typing is not lost
  const project = current().project.id;
  let snapshots = null;
  let volumes = null;

  async function load() {
    try {
      [snapshots, volumes] = await Promise.all([
        api.get(base + '/snapshots/detail').then((r) => r.snapshots),
        api.get(base + '/volumes/detail').then((r) => r.volumes)]);
      refresh();
    } catch (e) {
      message.replaceChildren(errorBox(e.message));
    }
  }

  function refresh() {
    const data = JSON.stringify([snapshots, volumes.map((v) => [v.id, v.name, v.status])]);
    if (data !== shown) {
      shown = data;
      keepingInput(main, () => show(snapshots, volumes));
    }
  }

  /** A change of a snapshot or a volume reads that one again (the cloud's admin hears of other projects': left out). */
  async function changed(changes) {
    if (changes === null || snapshots === null) return load();
    try {
      const [ofSnapshots, ofVolumes] = await Promise.all([
        live.reread(changes, 'snapshot', (id) => api.get(`${base}/snapshots/${encodeURIComponent(id)}`).then((r) => r.snapshot),
          (s) => (s['os-extended-snapshot-attributes:project_id'] || project) === project),
        live.reread(changes, 'volume', (id) => api.get(`${base}/volumes/${encodeURIComponent(id)}`).then((r) => r.volume),
          (v) => (v['os-vol-tenant-attr:tenant_id'] || project) === project)]);
      snapshots = live.merge(snapshots, ofSnapshots);
      volumes = live.merge(volumes, ofVolumes);
      refresh();
    } catch (e) {
      message.replaceChildren(errorBox(e.message));
    }
  }

  function show(snapshots, volumes) {
    const names = new Map(volumes.map((v) => [v.id, v.name || v.id]));
    const chosen = volumeChoice.value;
    volumeChoice.replaceChildren(el('option', { value: '' }, 'Choose a volume'),
      ...volumes.map((v) => el('option', { value: v.id, selected: v.id === chosen }, `${v.name || v.id} (${v.size} GB, ${v.status})`)));
    body.replaceChildren(...snapshots.map((s) => row(s, names)));
    if (snapshots.length === 0) body.append(emptyRow(columns.length, 'No volume snapshots.'));
  }

  function row(s, names) {
    const label = s.name || s.id;
    const actions = [];
    if (s.status === 'available') {
      const name = el('input', { id: 'from-snapshot-' + s.id, class: 'name', maxlength: 255, autocomplete: 'off',
        'aria-label': 'Name of a new volume from ' + label, placeholder: 'New volume name' });
      actions.push(name, el('button', { type: 'button', 'data-action': 'Create volume',
        'aria-label': 'Create a volume from ' + label,
        onclick: () => act(() => api.post(base + '/volumes',
          { volume: { snapshot_id: s.id, size: s.size, name: name.value.trim() } })) }, 'Create volume'));
    }
    actions.push(confirmButton('Delete', () => act(() => api.del(`${base}/snapshots/${encodeURIComponent(s.id)}`)),
      { 'aria-label': 'Delete snapshot ' + label }));
    return el('tr', { 'data-id': s.id },
      el('td', { class: 'name' }, s.name || ''),
      el('td', { class: 'size' }, `${s.size} GB`),
      el('td', { class: 'status status-' + s.status }, s.status),
      el('td', { class: 'volume', 'data-volume': s.volume_id }, names.get(s.volume_id) || s.volume_id),
      el('td', { class: 'created' }, s.created_at || ''),
      changes ? el('td', { class: 'actions' }, actions) : null);
  }

  const act = actor(message, load);

  createForm.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!volumeChoice.value) {
      message.replaceChildren(errorBox('Choose the volume to take a snapshot of.'));
      return;
    }
    const snapshot = { volume_id: volumeChoice.value, name: createForm.elements['snapshot-name'].value.trim() };
    const description = createForm.elements['snapshot-description'].value.trim();
    if (description) snapshot.description = description;
    act(async () => {
      await api.post(base + '/snapshots', { snapshot });
      createForm.reset();
    });
  });

  const unfollow = live.follow(['snapshot', 'volume'], changed);
  load();
  return unfollow;
}
