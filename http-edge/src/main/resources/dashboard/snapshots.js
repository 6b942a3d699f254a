// The volume snapshots page: the project's snapshots (Cinder's detail list) with the volume each
// was taken of; take one of a volume, make a new volume from one, delete one. Like the volumes
// page it polls while a snapshot or a volume made from one is on its way to a settled status,
// for a bounded time, and for a few seconds after each of its own actions.
import { api, current, canChange } from './api.js';
import { el, errorBox, actor, confirmButton, table, field, emptyRow, readOnlyNotice } from './dom.js';

const COLUMNS = ['Name', 'Size', 'Status', 'Volume', 'Created'];
const TRANSIENT = ['creating', 'deleting', 'restoring', 'downloading'];
const POLL_MS = 1000;
const SETTLE_MS = 5000;
const BOUND_MS = 120000;

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
  let actedAt = Date.now();
  let timer = null;
  let left = false;
  let loading = null;

  function load() {
    if (!loading) loading = fetchAndShow().finally(() => { loading = null; });
    return loading;
  }

  async function fetchAndShow() {
    let busy = false;
    try {
      const [snapshots, volumes] = await Promise.all([
        api.get(base + '/snapshots/detail').then((r) => r.snapshots),
        api.get(base + '/volumes/detail').then((r) => r.volumes)]);
      busy = snapshots.some((s) => TRANSIENT.includes(s.status)) || volumes.some((v) => v.status === 'creating');
      const data = JSON.stringify([snapshots, volumes.map((v) => [v.id, v.name, v.status])]);
      if (data !== shown) {
        shown = data;
        show(snapshots, volumes);
      }
    } catch (e) {
      message.replaceChildren(errorBox(e.message));
    }
    poll(busy);
  }

  /** Polls again while something is in a transient status (up to a bound) or an action is fresh. */
  function poll(busy) {
    clearTimeout(timer);
    timer = null;
    if (left) return;
    const since = Date.now() - actedAt;
    if (since < SETTLE_MS || (busy && since < BOUND_MS)) timer = setTimeout(load, POLL_MS);
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

  const run = actor(message, load);
  function act(call) {
    actedAt = Date.now();
    return run(call);
  }

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

  load();
  return () => {
    left = true;
    clearTimeout(timer);
  };
}
