// The key pairs page: the user's key pairs, creating one (Nova makes it and answers its private
// key once: offered here as a download from a Blob URL, kept nowhere, the URL revoked when the
// page is left), importing a public key, deleting. Follows the live feed: a key pair made or
// deleted anywhere (the CLI, another window) shows here; the feed tells a user of their own only.
import { api } from './api.js';
import { el, errorBox, actor, confirmButton, table, field, emptyRow } from './dom.js';
import * as live from './live.js';

const PATH = '/compute/v2.1/os-keypairs';
const COLUMNS = ['Name', 'Type', 'Fingerprint', 'Actions'];

export function render(main) {
  const message = el('div', { 'aria-live': 'polite', id: 'keypairs-message' });
  const body = el('tbody', { id: 'keypairs' });
  const download = el('div', { id: 'private-key', 'aria-live': 'polite' });
  let blobUrl = null;
  const createForm = el('form', { id: 'keypair-form', class: 'panel' },
    el('h2', {}, 'Create a key pair'),
    field('Name', el('input', { id: 'keypair-name', name: 'keypair-name', maxlength: 255, autocomplete: 'off' })),
    el('div', { class: 'toolbar' }, el('button', { type: 'submit', class: 'primary', id: 'keypair-create' }, 'Create key pair')),
    download);
  const importForm = el('form', { id: 'import-form', class: 'panel' },
    el('h2', {}, 'Import a public key'),
    field('Name', el('input', { id: 'import-name', name: 'import-name', maxlength: 255, autocomplete: 'off' })),
    field('Public key', el('textarea', { id: 'import-key', name: 'import-key', rows: 4, placeholder: 'ssh-ed25519 AAAA… user@host' })),
    el('div', { class: 'toolbar' }, el('button', { type: 'submit', class: 'primary', id: 'import' }, 'Import')));
  main.append(el('h1', {}, 'Key pairs'), message, table('Key pairs', COLUMNS, body),
    el('div', { class: 'forms' }, createForm, importForm));

  let keypairs = null;

  async function load() {
    try {
      keypairs = (await api.get(PATH)).keypairs.map((k) => k.keypair);
      show();
    } catch (e) {
      message.replaceChildren(errorBox(e.message));
    }
  }

  /** A key pair's change (the id is its name) reads that one again, or removes it once it is gone. */
  async function changed(changes) {
    if (changes === null || keypairs === null) return load();
    try {
      const read = await live.reread(changes, 'keypair',
        (name) => api.get(`${PATH}/${encodeURIComponent(name)}`).then((r) => r.keypair));
      keypairs = live.merge(keypairs, read, { last: true, idOf: (k) => k.name });
      show();
    } catch (e) {
      message.replaceChildren(errorBox(e.message));
    }
  }

  function show() {
    body.replaceChildren(...keypairs.map((k) => el('tr', { 'data-id': k.name },
      el('td', { class: 'name' }, k.name), el('td', {}, k.type || 'ssh'), el('td', { class: 'fingerprint' }, k.fingerprint),
      el('td', { class: 'actions' }, confirmButton('Delete', () => act(() => api.del(`${PATH}/${encodeURIComponent(k.name)}`)),
        { 'aria-label': 'Delete key pair ' + k.name })))));
    if (keypairs.length === 0) body.append(emptyRow(COLUMNS.length, 'No key pairs.'));
  }

  const act = actor(message, load);

  function forget() {
    if (blobUrl) URL.revokeObjectURL(blobUrl);
    blobUrl = null;
  }

  createForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = createForm.elements['keypair-name'].value.trim();
    forget();
    download.replaceChildren();
    act(async () => {
      const made = (await api.post(PATH, { keypair: { name } })).keypair;
      blobUrl = URL.createObjectURL(new Blob([made.private_key], { type: 'application/x-pem-file' }));
      download.replaceChildren(el('p', {}, 'Save the private key now: Nimbus keeps no copy. ',
        el('a', { href: blobUrl, download: made.name + '.pem', id: 'private-key-link' }, `Download ${made.name}.pem`)));
      createForm.reset();
    });
  });

  importForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = importForm.elements['import-name'].value.trim();
    const key = importForm.elements['import-key'].value.trim();
    act(async () => {
      await api.post(PATH, { keypair: { name, public_key: key } });
      importForm.reset();
    });
  });

  const unfollow = live.follow(['keypair'], changed);
  load();
  return () => {
    unfollow();
    forget();
  };
}
