// The admin's flavors page: every flavor, private ones too (Nova's flavors/detail?is_public=None),
// creating one (name, vCPUs, RAM, disk, public or not) and deleting one. A member who opens it
// sees the flavors the project may use; Nova refuses their create and delete in its words.
// Follows the live feed (a flavor made or deleted anywhere shows here).
import { api } from './api.js';
import { el, errorBox, actor, confirmButton, table, field, emptyRow, refuse } from './dom.js';
import * as live from './live.js';

const PATH = '/compute/v2.1/flavors';
const COLUMNS = ['Name', 'ID', 'vCPUs', 'RAM', 'Disk', 'Public', 'Actions'];

function number(id, label, min) {
  return field(label, el('input', { id, name: id, type: 'number', min, step: 1, required: true }));
}

export function render(main) {
  const heading = el('h1', {}, 'Flavors');
  const message = el('div', { 'aria-live': 'polite', id: 'flavors-message' });
  const body = el('tbody', { id: 'flavors' });
  const form = el('form', { id: 'flavor-form', class: 'panel' },
    el('h2', {}, 'Create a flavor'),
    field('Name', el('input', { id: 'flavor-name', name: 'flavor-name', maxlength: 255, autocomplete: 'off' })),
    el('div', { class: 'inline-fields' }, el('div', {}, number('flavor-vcpus', 'vCPUs', 1)),
      el('div', {}, number('flavor-ram', 'RAM (MB)', 1)), el('div', {}, number('flavor-disk', 'Disk (GB)', 0))),
    el('label', { class: 'check' }, el('input', { type: 'checkbox', id: 'flavor-public', name: 'flavor-public', checked: true }),
      'Public (every project may use it)'),
    el('div', { class: 'toolbar' }, el('button', { type: 'submit', class: 'primary', id: 'flavor-create' }, 'Create flavor')));
  main.append(heading, message, table('Flavors', COLUMNS, body), el('div', { class: 'forms' }, form));
  let shown = false;
  let flavors = null;

  async function load() {
    try {
      flavors = (await api.get(PATH + '/detail?is_public=None')).flavors;
      show();
      shown = true;
    } catch (e) {
      if (shown) message.replaceChildren(errorBox(e.message));
      else refuse(main, heading, e);
    }
  }

  /** A flavor's change reads that flavor again, or removes it once it is gone. */
  async function changed(changes) {
    if (changes === null || flavors === null) return load();
    try {
      const read = await live.reread(changes, 'flavor',
        (id) => api.get(`${PATH}/${encodeURIComponent(id)}`).then((r) => r.flavor));
      flavors = live.merge(flavors, read, { last: true });
      show();
    } catch (e) {
      message.replaceChildren(errorBox(e.message));
    }
  }

  function show() {
    body.replaceChildren(...flavors.map((f) => el('tr', { 'data-id': f.id },
      el('td', { class: 'name' }, f.name), el('td', { class: 'id' }, f.id), el('td', {}, String(f.vcpus)),
      el('td', {}, `${f.ram} MB`), el('td', {}, `${f.disk} GB`),
      el('td', { class: 'public' }, f['os-flavor-access:is_public'] === false ? 'no' : 'yes'),
      el('td', { class: 'actions' }, confirmButton('Delete', () => act(() => api.del(`${PATH}/${encodeURIComponent(f.id)}`)),
        { 'aria-label': 'Delete flavor ' + f.name })))));
    if (flavors.length === 0) body.append(emptyRow(COLUMNS.length, 'No flavors.'));
  }

  const act = actor(message, load);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = (name) => Number(form.elements[name].value);
    const flavor = { name: form.elements['flavor-name'].value.trim(), vcpus: value('flavor-vcpus'),
      ram: value('flavor-ram'), disk: value('flavor-disk'), 'os-flavor-access:is_public': form.elements['flavor-public'].checked };
    act(async () => {
      await api.post(PATH, { flavor });
      form.reset();
    });
  });

  const unfollow = live.follow(['flavor'], changed);
  load();
  return unfollow;
}
