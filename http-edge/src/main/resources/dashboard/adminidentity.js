// The admin's identity page, from the node's Keystone: projects (create, delete), users (create
// with a password, in a project with a role; delete) and role assignments (grant a role to a user
// on a project, revoke). Keystone refuses a member's lists: their page shows that refusal only.
// Follows the live feed: the catalog changed anywhere (the CLI, another admin) shows here.
import { all, api } from './api.js';
import { el, errorBox, actor, confirmButton, table, field, emptyRow, refuse } from './dom.js';
import * as live from './live.js';

const KEYSTONE = '/identity/v3';
const PROJECTS = ['Name', 'ID', 'Description', 'Enabled', 'Actions'];
const USERS = ['Name', 'ID', 'Default project', 'Enabled', 'Actions'];
const ASSIGNMENTS = ['User', 'Project', 'Role', 'Actions'];

function input(id, attrs = {}) {
  return el('input', { id, name: id, maxlength: 255, autocomplete: 'off', ...attrs });
}

/** A choice of projects, users or roles by id; `preferred` names the one chosen at first. */
function select(id, options, blank, preferred) {
  return el('select', { id, name: id }, blank ? el('option', { value: '' }, blank) : null,
    options.map((o) => el('option', { value: o.id, selected: o.name === preferred }, o.name)));
}

function grantPath(project, user, role) {
  return `${KEYSTONE}/projects/${encodeURIComponent(project)}/users/${encodeURIComponent(user)}/roles/${encodeURIComponent(role)}`;
}

export function render(main) {
  const heading = el('h1', {}, 'Projects, users and roles');
  const message = el('div', { 'aria-live': 'polite', id: 'identity-message' });
  const projectsBody = el('tbody', { id: 'projects' });
  const usersBody = el('tbody', { id: 'users' });
  const assignmentsBody = el('tbody', { id: 'assignments' });
  const projectForm = el('form', { id: 'project-form', class: 'panel' }, el('h2', {}, 'Create a project'),
    field('Name', input('project-name')), field('Description', input('project-description')),
    el('div', { class: 'toolbar' }, el('button', { type: 'submit', class: 'primary', id: 'project-create' }, 'Create project')));
  const userFields = el('div');
  const userForm = el('form', { id: 'user-form', class: 'panel' }, el('h2', {}, 'Create a user'), userFields,
    el('div', { class: 'toolbar' }, el('button', { type: 'submit', class: 'primary', id: 'user-create' }, 'Create user')));
  const grantFields = el('div');
  const grantForm = el('form', { id: 'grant-form', class: 'panel' }, el('h2', {}, 'Grant a role'), grantFields,
    el('div', { class: 'toolbar' }, el('button', { type: 'submit', class: 'primary', id: 'grant' }, 'Grant role')));
  main.append(heading, message,
    el('h2', {}, 'Projects'), table('Projects', PROJECTS, projectsBody),
    el('h2', {}, 'Users'), table('Users', USERS, usersBody),
    el('h2', {}, 'Role assignments'), table('Role assignments', ASSIGNMENTS, assignmentsBody),
    el('div', { class: 'forms' }, projectForm, userForm, grantForm));
  let shown = false;

  async function load() {
    try {
      const [projects, users, roles, assignments] = await all([
        api.get(`${KEYSTONE}/projects`).then((r) => r.projects.sort((a, b) => a.name.localeCompare(b.name))),
        api.get(`${KEYSTONE}/users`).then((r) => r.users.sort((a, b) => a.name.localeCompare(b.name))),
        api.get(`${KEYSTONE}/roles`).then((r) => r.roles.sort((a, b) => a.name.localeCompare(b.name))),
        api.get(`${KEYSTONE}/role_assignments?include_names=true`).then((r) => r.role_assignments)]);
      const projectName = new Map(projects.map((p) => [p.id, p.name]));
      showProjects(projects);
      showUsers(users, projectName);
      showAssignments(assignments.filter((a) => a.scope && a.scope.project));
      // the forms' choices follow the lists; what was typed or chosen stays
      const kept = [...userForm.elements, ...grantForm.elements].filter((c) => c.id).map((c) => [c.id, c.value]);
      userFields.replaceChildren(...field('Name', input('user-name')),
        ...field('Password', input('user-password', { type: 'password', autocomplete: 'new-password' })),
        ...field('Project', select('user-project', projects, '(none)')), ...field('Role in it', select('user-role', roles, null, 'member')));
      grantFields.replaceChildren(...field('User', select('grant-user', users)),
        ...field('Project', select('grant-project', projects)), ...field('Role', select('grant-role', roles, null, 'member')));
      for (const [id, value] of kept) {
        const control = document.getElementById(id);
        if (control && (control.tagName !== 'SELECT' || [...control.options].some((o) => o.value === value))) control.value = value;
      }
      shown = true;
    } catch (e) {
      if (shown) message.replaceChildren(errorBox(e.message));
      else refuse(main, heading, e);
    }
  }

  function showProjects(projects) {
    projectsBody.replaceChildren(...projects.map((p) => el('tr', { 'data-id': p.id },
      el('td', { class: 'name' }, p.name), el('td', { class: 'id' }, p.id), el('td', {}, p.description || ''),
      el('td', {}, p.enabled === false ? 'no' : 'yes'),
      el('td', { class: 'actions' }, confirmButton('Delete', () => act(() => api.del(`${KEYSTONE}/projects/${encodeURIComponent(p.id)}`)),
        { 'aria-label': 'Delete project ' + p.name })))));
    if (projects.length === 0) projectsBody.append(emptyRow(PROJECTS.length, 'No projects.'));
  }

  function showUsers(users, projectName) {
    usersBody.replaceChildren(...users.map((u) => el('tr', { 'data-id': u.id },
      el('td', { class: 'name' }, u.name), el('td', { class: 'id' }, u.id),
      el('td', { class: 'project' }, u.default_project_id ? (projectName.get(u.default_project_id) || u.default_project_id) : ''),
      el('td', {}, u.enabled === false ? 'no' : 'yes'),
      el('td', { class: 'actions' }, confirmButton('Delete', () => act(() => api.del(`${KEYSTONE}/users/${encodeURIComponent(u.id)}`)),
        { 'aria-label': 'Delete user ' + u.name })))));
    if (users.length === 0) usersBody.append(emptyRow(USERS.length, 'No users.'));
  }

  function showAssignments(assignments) {
    assignmentsBody.replaceChildren(...assignments.map((a) => {
      const { user, role } = a;
      const project = a.scope.project;
      return el('tr', { 'data-id': `${user.id}/${project.id}/${role.id}` },
        el('td', { class: 'user' }, user.name || user.id), el('td', { class: 'project' }, project.name || project.id),
        el('td', { class: 'role' }, role.name || role.id),
        el('td', { class: 'actions' }, confirmButton('Revoke', () => act(() => api.del(grantPath(project.id, user.id, role.id))),
          { 'aria-label': `Revoke ${role.name || role.id} of ${user.name || user.id} on ${project.name || project.id}` })));
    }));
    if (assignments.length === 0) assignmentsBody.append(emptyRow(ASSIGNMENTS.length, 'No role assignments.'));
  }

  const act = actor(message, load);

  projectForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const project = { name: projectForm.elements['project-name'].value.trim(),
      description: projectForm.elements['project-description'].value };
    act(async () => {
      await api.post(`${KEYSTONE}/projects`, { project });
      projectForm.reset();
    });
  });

  // a user in a project: Keystone's create, then the grant that lets them log in to it
  userForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const project = userForm.elements['user-project'].value;
    const role = userForm.elements['user-role'].value;
    const user = { name: userForm.elements['user-name'].value.trim(), password: userForm.elements['user-password'].value };
    if (project) user.default_project_id = project;
    act(async () => {
      const made = (await api.post(`${KEYSTONE}/users`, { user })).user;
      if (project && role) await api.put(grantPath(project, made.id, role));
      userForm.reset();
    });
  });

  grantForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = (name) => grantForm.elements[name].value;
    act(() => api.put(grantPath(value('grant-project'), value('grant-user'), value('grant-role'))));
  });

  const unfollow = live.follow(['project', 'user', 'role', 'role_assignment'], load);
  load();
  return unfollow;
}
