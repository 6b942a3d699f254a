// The images page: the images this project sees, an upload from the browser with a progress bar
// (Glance's two steps: create the image, then PUT its bytes), edit name and visibility, delete,
// and launch from an image in the launch dialog. Refreshes on its own actions (images have no
// live feed yet).
import { api, upload, current, canChange } from './api.js';
import { el, errorBox, actor, confirmButton, table, field, emptyRow, readOnlyNotice } from './dom.js';
import * as launch from './launch.js';

const COLUMNS = ['Name', 'Status', 'Visibility', 'Disk format', 'Size'];
const VISIBILITIES = ['private', 'shared', 'community', 'public'];

function size(bytes) {
  if (bytes === null || bytes === undefined) return '';
  if (bytes < 1024 * 1024) return `${Math.ceil(bytes / 1024)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

const select = (id, values, chosen) => el('select', { id, name: id },
  values.map((v) => el('option', { value: v, selected: v === chosen }, v)));

function mine(image) {
  const session = current();
  return canChange() && (image.owner === session.project.id || session.roles.some((r) => r.name === 'admin'));
}

export function render(main) {
  const message = el('div', { 'aria-live': 'polite', id: 'images-message' });
  const body = el('tbody', { id: 'images' });
  const progress = el('progress', { id: 'upload-progress', max: 1, value: 0, 'aria-label': 'Upload progress' });
  const progressText = el('span', { id: 'upload-progress-text', 'aria-live': 'polite' });
  const form = el('form', { id: 'upload-form', class: 'panel' },
    el('h2', {}, 'Upload an image'),
    field('Name', el('input', { id: 'image-name', name: 'image-name', maxlength: 255, autocomplete: 'off' })),
    field('Disk format', select('image-format', ['raw', 'qcow2', 'iso', 'vmdk', 'vhd', 'vhdx', 'vdi'], 'raw')),
    field('Visibility', select('image-visibility', VISIBILITIES, 'private')),
    field('File', el('input', { id: 'image-file', name: 'image-file', type: 'file' })),
    el('div', { class: 'toolbar' }, el('button', { type: 'submit', class: 'primary', id: 'upload' }, 'Upload'),
      progress, progressText));
  const changes = canChange();
  const columns = changes ? [...COLUMNS, 'Actions'] : COLUMNS;
  main.append(el('h1', {}, 'Images'), message, table('Images', columns, body), changes ? form : readOnlyNotice());

  async function load() {
    try {
      const images = (await api.get('/image/v2/images?limit=1000')).images;
      body.replaceChildren(...images.map(row));
      if (images.length === 0) body.append(emptyRow(columns.length, 'No images.'));
      return images;
    } catch (e) {
      message.replaceChildren(errorBox(e.message));
      return [];
    }
  }

  function row(image) {
    const path = '/image/v2/images/' + encodeURIComponent(image.id);
    const actions = changes && el('td', { class: 'actions' },
      image.status === 'active'
        ? el('button', { type: 'button', 'data-action': 'Launch', onclick: () => launch.open(main, () => {}, { image: image.id }) }, 'Launch')
        : null,
      // others' images (the cloud's public ones) are the admin's to change: no buttons the API would refuse
      mine(image) ? el('button', { type: 'button', 'data-action': 'Edit', onclick: () => edit(image) }, 'Edit') : null,
      mine(image) ? confirmButton('Delete', () => act(() => api.del(path))) : null);
    return el('tr', { 'data-id': image.id },
      el('td', { class: 'name' }, image.name || image.id),
      el('td', { class: 'status' }, image.status),
      el('td', { class: 'visibility' }, image.visibility),
      el('td', {}, image.disk_format || ''),
      el('td', {}, size(image.size)),
      actions);
  }

  const act = actor(message, load);

  function edit(image) {
    const errors = el('div', { 'aria-live': 'assertive', id: 'edit-errors' });
    const editForm = el('form', { method: 'dialog', id: 'edit-form' },
      el('h2', {}, 'Edit image'),
      field('Name', el('input', { id: 'edit-name', name: 'edit-name', value: image.name || '', maxlength: 255 })),
      field('Visibility', select('edit-visibility', VISIBILITIES, image.visibility)),
      errors,
      el('div', { class: 'dialog-buttons' },
        el('button', { type: 'button', id: 'edit-cancel' }, 'Cancel'),
        el('button', { type: 'submit', class: 'primary', id: 'edit-save' }, 'Save')));
    const dialog = el('dialog', { id: 'edit-dialog', 'aria-label': 'Edit image' }, editForm);
    editForm.querySelector('#edit-cancel').addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => dialog.remove());
    editForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const ops = [{ op: 'replace', path: '/name', value: editForm.elements['edit-name'].value },
        { op: 'replace', path: '/visibility', value: editForm.elements['edit-visibility'].value }];
      try {
        await api.patch('/image/v2/images/' + encodeURIComponent(image.id), ops);
        dialog.close();
        await load();
      } catch (e) {
        errors.replaceChildren(errorBox(e.message));
      }
    });
    main.append(dialog);
    dialog.showModal();
    editForm.elements['edit-name'].focus();
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = (name) => form.elements[name].value;
    const file = form.elements['image-file'].files[0];
    const name = value('image-name').trim();
    const problems = [];
    if (!name) problems.push('Give the image a name.');
    if (!file) problems.push('Choose a file.');
    if (problems.length) {
      message.replaceChildren(...problems.map(errorBox));
      return;
    }
    message.replaceChildren();
    const button = form.querySelector('#upload');
    button.disabled = true;
    progress.max = Math.max(1, file.size);
    progress.value = 0;
    try {
      const image = await api.post('/image/v2/images', {
        name, disk_format: value('image-format'), container_format: 'bare', visibility: value('image-visibility') });
      await load();
      await upload(`/image/v2/images/${encodeURIComponent(image.id)}/file`, file, (sent, total) => {
        progress.max = Math.max(1, total);
        progress.value = sent;
        progressText.textContent = `${size(sent)} of ${size(total)} sent`;
      });
      progressText.textContent = `Uploaded ${size(file.size)}.`;
      form.reset();
    } catch (e) {
      message.replaceChildren(errorBox(e.message));
    } finally {
      button.disabled = false;
      await load();
    }
  });

  load();
  return null;
}
