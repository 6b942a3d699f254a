// The images page: the images this project sees, an upload from the browser with a progress bar
// (Glance's two steps: create the image, then PUT its bytes), edit name and visibility, delete,
// and launch from an image in the launch dialog. Sharing (Glance's image members): the owner adds
// and removes the projects a shared image is offered to; a project offered one accepts it (it
// is then in the list) or rejects it. Follows the live feed of images (another project's sharing too).
import { api, upload, current, canChange } from './api.js';
import { el, errorBox, actor, confirmButton, table, field, emptyRow, readOnlyNotice } from './dom.js';
import * as launch from './launch.js';
import * as live from './live.js';

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
  const offered = el('tbody', { id: 'offered-images' });
  const offeredColumns = changes ? ['Name', 'Owner', 'Disk format', 'Size', 'Actions'] : ['Name', 'Owner', 'Disk format', 'Size'];
  main.append(el('h1', {}, 'Images'), message, table('Images', columns, body),
    el('h2', {}, 'Offered to this project'), table('Images offered to this project', offeredColumns, offered),
    changes ? form : readOnlyNotice());

  async function load() {
    try {
      const [images, pending] = await Promise.all([
        api.get('/image/v2/images?limit=1000').then((r) => r.images),
        api.get('/image/v2/images?limit=1000&visibility=shared&member_status=pending').then((r) => r.images)]);
      body.replaceChildren(...images.map(row));
      if (images.length === 0) body.append(emptyRow(columns.length, 'No images.'));
      offered.replaceChildren(...pending.map(offeredRow));
      if (pending.length === 0) offered.append(emptyRow(offeredColumns.length, 'No image waits for an answer.'));
      return images;
    } catch (e) {
      message.replaceChildren(errorBox(e.message));
      return [];
    }
  }

  /** An image another project offers this one: accepted, it is in the list above; rejected, it is gone. */
  function offeredRow(image) {
    const answer = (status) => act(() => api.put(`/image/v2/images/${encodeURIComponent(image.id)}/members/`
      + encodeURIComponent(current().project.id), { status }));
    const label = image.name || image.id;
    return el('tr', { 'data-id': image.id },
      el('td', { class: 'name' }, label),
      el('td', { class: 'owner' }, image.owner || ''),
      el('td', {}, image.disk_format || ''),
      el('td', {}, size(image.size)),
      changes ? el('td', { class: 'actions' },
        el('button', { type: 'button', 'data-action': 'Accept', 'aria-label': 'Accept ' + label, onclick: () => answer('accepted') }, 'Accept'),
        el('button', { type: 'button', 'data-action': 'Reject', 'aria-label': 'Reject ' + label, onclick: () => answer('rejected') }, 'Reject'))
        : null);
  }

  function row(image) {
    const path = '/image/v2/images/' + encodeURIComponent(image.id);
    const actions = changes && el('td', { class: 'actions' },
      image.status === 'active'
        ? el('button', { type: 'button', 'data-action': 'Launch', onclick: () => launch.open(main, () => {}, { image: image.id }) }, 'Launch')
        : null,
      // others' images (the cloud's public ones) are the admin's to change: no buttons the API would refuse
      mine(image) ? el('button', { type: 'button', 'data-action': 'Edit', onclick: () => edit(image) }, 'Edit') : null,
      mine(image) && image.visibility === 'shared'
        ? el('button', { type: 'button', 'data-action': 'Members', onclick: () => members(image) }, 'Members') : null,
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

  /** The projects a shared image is offered to, with their answers: add one by its id, remove one. */
  function members(image) {
    const path = `/image/v2/images/${encodeURIComponent(image.id)}/members`;
    const errors = el('div', { 'aria-live': 'assertive', id: 'members-errors' });
    const list = el('tbody', { id: 'members' });
    const project = el('input', { id: 'member-project', name: 'member-project', maxlength: 64, autocomplete: 'off' });
    const addForm = el('form', { id: 'member-form' },
      field('Project ID', project),
      el('div', { class: 'toolbar' }, el('button', { type: 'submit', class: 'primary', id: 'member-add' }, 'Add project')));
    const close = el('button', { type: 'button', id: 'members-close' }, 'Close');
    const dialog = el('dialog', { id: 'members-dialog', 'aria-label': 'Members of image ' + (image.name || image.id) },
      el('h2', {}, 'Members of ', image.name || image.id), errors,
      table('Members', ['Project', 'Status', 'Actions'], list), addForm,
      el('div', { class: 'dialog-buttons' }, close));
    const change = async (call) => {
      try {
        await call();
        errors.replaceChildren();
      } catch (e) {
        errors.replaceChildren(errorBox(e.message));
      }
      await show();
    };
    async function show() {
      try {
        const found = (await api.get(path)).members;
        list.replaceChildren(...found.map((m) => el('tr', { 'data-id': m.member_id },
          el('td', { class: 'project' }, m.member_id),
          el('td', { class: 'status' }, m.status),
          el('td', { class: 'actions' }, confirmButton('Remove', () => change(() => api.del(`${path}/${encodeURIComponent(m.member_id)}`)),
            { 'aria-label': 'Remove project ' + m.member_id })))));
        if (found.length === 0) list.append(emptyRow(3, 'Offered to no project.'));
      } catch (e) {
        errors.replaceChildren(errorBox(e.message));
      }
    }
    addForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const member = project.value.trim();
      if (!member) {
        errors.replaceChildren(errorBox('Give the ID of the project to offer the image to.'));
        return;
      }
      change(async () => {
        await api.post(path, { member });
        addForm.reset();
      });
    });
    close.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => dialog.remove());
    main.append(dialog);
    dialog.showModal();
    project.focus();
    show();
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

  const unfollow = live.follow(['image'], load);
  load();
  return unfollow;
}
