// The launch dialog: name, image, flavor, network, key pair, security groups and server group, checked
// before the request goes; the API's refusal is shown in its own words.
import { all, api } from './api.js';
import { el, errorBox } from './dom.js';
import * as serverGroups from './servergroups.js';

/** Opens the dialog; {@code preset.image} chooses an image beforehand. */
export async function open(main, launched, preset = {}) {
  const [images, flavors, networks, keypairs, groups, serverGroupList] = await all([
    api.get('/image/v2/images?status=active&limit=1000').then((r) => r.images),
    api.get('/compute/v2.1/flavors/detail').then((r) => r.flavors),
    api.get('/network/v2.0/networks').then((r) => r.networks).catch(() => []),
    api.get('/compute/v2.1/os-keypairs').then((r) => r.keypairs.map((k) => k.keypair)).catch(() => []),
    api.get('/network/v2.0/security-groups').then((r) => r.security_groups).catch(() => []),
    serverGroups.list().catch(() => []),
  ]);
  const errors = el('div', { 'aria-live': 'assertive', id: 'launch-errors' });
  const select = (id, label, options, blank) => [
    el('label', { for: id }, label),
    el('select', { id, name: id }, blank ? el('option', { value: '' }, blank) : null,
      options.map(([value, text]) => el('option', { value }, text)))];
  const form = el('form', { method: 'dialog', id: 'launch-form' },
    el('h2', {}, 'Launch instance'),
    el('label', { for: 'server-name' }, 'Name'),
    el('input', { id: 'server-name', name: 'server-name', maxlength: 255, autocomplete: 'off' }),
    select('image', 'Image', images.map((i) => [i.id, i.name || i.id]), 'Choose an image'),
    select('flavor', 'Flavor', flavors.map((f) => [f.id, `${f.name} (${f.vcpus} vCPU, ${f.ram} MB, ${f.disk} GB)`]), 'Choose a flavor'),
    select('network', 'Network', networks.map((n) => [n.id, n.name || n.id]), 'Automatic'),
    select('keypair', 'Key pair', keypairs.map((k) => [k.name, k.name]), 'None'),
    el('fieldset', { id: 'groups' }, el('legend', {}, 'Security groups'),
      groups.map((g) => el('label', { class: 'check' },
        el('input', { type: 'checkbox', name: 'group', value: g.name, checked: g.name === 'default' }), g.name))),
    select('server-group', 'Server group', serverGroupList.map((g) => [g.id, `${g.name} (${(g.policies || [g.policy]).join(', ')})`]), 'None'),
    errors,
    el('div', { class: 'dialog-buttons' },
      el('button', { type: 'button', value: 'cancel', id: 'launch-cancel' }, 'Cancel'),
      el('button', { type: 'submit', class: 'primary', id: 'launch-submit' }, 'Launch')));
  const dialog = el('dialog', { id: 'launch-dialog', 'aria-label': 'Launch instance' }, form);
  form.querySelector('#launch-cancel').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => dialog.remove());
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = (name) => form.elements[name].value;
    const problems = [];
    const name = value('server-name').trim();
    if (!name) problems.push('Give the instance a name.');
    if (!value('image')) problems.push('Choose an image.');
    if (!value('flavor')) problems.push('Choose a flavor.');
    if (problems.length) {
      errors.replaceChildren(...problems.map(errorBox));
      return;
    }
    const server = { name, imageRef: value('image'), flavorRef: value('flavor') };
    if (value('network')) server.networks = [{ uuid: value('network') }];
    if (value('keypair')) server.key_name = value('keypair');
    const chosen = [...form.querySelectorAll('input[name=group]:checked')].map((c) => ({ name: c.value }));
    if (chosen.length) server.security_groups = chosen;
    const request = { server };
    if (value('server-group')) request['os:scheduler_hints'] = { group: value('server-group') };
    errors.replaceChildren(el('p', { class: 'notice' }, 'Launching…'));
    try {
      await api.post('/compute/v2.1/servers', request);
      dialog.close();
      launched();
    } catch (e) {
      errors.replaceChildren(errorBox(e.message));
    }
  });
  if (preset.image) form.elements.image.value = preset.image;
  main.append(dialog);
  dialog.showModal();
  form.elements['server-name'].focus();
}
