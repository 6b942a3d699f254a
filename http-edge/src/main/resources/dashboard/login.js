// The login page: domain, user and password (and a project, if not the first of the user's).
import { login } from './api.js';
import { el, errorBox } from './dom.js';

export function render(main, { message, done }) {
  const status = el('div', { 'aria-live': 'polite' }, message ? el('p', { class: 'notice', id: 'login-message' }, message) : null);
  const field = (id, label, attrs) => [el('label', { for: id }, label), el('input', { id, name: id, ...attrs })];
  const form = el('form', { class: 'login', id: 'login' },
    el('h1', {}, 'Log in to Nimbus'),
    status,
    field('domain', 'Domain', { value: 'Default', autocomplete: 'off', required: true }),
    field('username', 'User name', { autocomplete: 'username', required: true }),
    field('password', 'Password', { type: 'password', autocomplete: 'current-password', required: true }),
    field('project-name', 'Project (optional)', { autocomplete: 'off' }),
    el('div', { class: 'dialog-buttons' }, el('button', { type: 'submit', class: 'primary' }, 'Log in')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = (name) => form.elements[name].value;
    status.replaceChildren(el('p', { class: 'notice' }, 'Logging in…'));
    try {
      await login(value('domain').trim(), value('username').trim(), value('password'), value('project-name').trim());
      done();
    } catch (e) {
      status.replaceChildren(errorBox(e.message));
    }
  });
  main.append(form);
  form.elements.username.focus();
  return null;
}
