// The shell: the navigation bar and the router from the location's hash (#/overview, #/images, ...,
// #/servers/ID) to the page modules. Without a session every route shows the login page.
import { current, onExpired, logout, switchProject } from './api.js';
import { el, errorBox } from './dom.js';
import * as live from './live.js';
import * as loginPage from './login.js';
import * as instancesPage from './instances.js';
import * as serverPage from './server.js';
import * as overviewPage from './overview.js';
import * as imagesPage from './images.js';
import * as networksPage from './networks.js';
import * as routersPage from './routers.js';
import * as groupsPage from './securitygroups.js';
import * as keypairsPage from './keypairs.js';
import * as volumesPage from './volumes.js';
import * as snapshotsPage from './snapshots.js';
import * as serverGroupsPage from './servergroups.js';
import * as topologyPage from './topology.js';
import * as hypervisorsPage from './adminhypervisors.js';
import * as allInstancesPage from './admininstances.js';
import * as flavorsPage from './adminflavors.js';
import * as identityPage from './adminidentity.js';
import * as quotasPage from './adminquotas.js';

/** The pages in the navigation, by their hash. */
const PAGES = [
  ['#/overview', 'Overview', overviewPage], ['#/instances', 'Instances', instancesPage], ['#/images', 'Images', imagesPage],
  ['#/volumes', 'Volumes', volumesPage], ['#/volume-snapshots', 'Snapshots', snapshotsPage],
  ['#/server-groups', 'Server groups', serverGroupsPage],
  ['#/networks', 'Networks', networksPage], ['#/routers', 'Routers', routersPage],
  ['#/security-groups', 'Security groups', groupsPage], ['#/key-pairs', 'Key pairs', keypairsPage],
  ['#/topology', 'Topology', topologyPage]];

/**
 * The cloud admin's pages: in the navigation for a token with the admin role only. Opened by hand
 * with another token, each shows the API's refusal.
 */
const ADMIN_PAGES = [
  ['#/admin-hypervisors', 'Hypervisors', hypervisorsPage], ['#/admin-instances', 'All instances', allInstancesPage],
  ['#/admin-flavors', 'Flavors', flavorsPage], ['#/admin-identity', 'Projects and users', identityPage],
  ['#/admin-quotas', 'Quotas', quotasPage]];

function isAdmin(session) {
  return (session.roles || []).some((r) => r.name === 'admin');
}

const main = document.getElementById('main');
const nav = document.getElementById('nav');
let leave = null; // what the shown page does when another replaces it

function route() {
  if (leave) leave();
  leave = null;
  main.replaceChildren();
  renderNav();
  if (!current()) {
    loginPage.render(main, { message: pendingMessage, done: afterLogin });
    pendingMessage = null;
    return;
  }
  const hash = location.hash || '#/instances';
  const server = /^#\/servers\/([^/]+)$/.exec(hash);
  const page = PAGES.concat(ADMIN_PAGES).find(([path]) => path === hash) || PAGES[1];
  if (server) leave = serverPage.render(main, decodeURIComponent(server[1]));
  else leave = page[2].render(main);
  main.focus();
}

let pendingMessage = null;

function afterLogin() {
  live.start();
  if (location.hash !== '#/instances') location.hash = '#/instances';
  else route();
}

function renderNav() {
  const session = current();
  if (!session) {
    nav.replaceChildren();
    return;
  }
  const picker = el('select', { id: 'project', 'aria-label': 'Project', onchange: (e) => changeProject(e.target.value) },
    session.projects.map((p) => el('option', { value: p.id, selected: p.id === session.project.id }, p.name)));
  const hash = location.hash || '#/instances';
  const link = ([path, label]) => el('a', { href: path, 'aria-current': hash === path ? 'page' : null }, label);
  nav.replaceChildren(
    ...PAGES.map(link),
    // (replaceChildren writes a null as the text "null": no admin group is no child at all)
    ...(isAdmin(session) ? [el('span', { class: 'admin-nav', id: 'admin-nav', role: 'group', 'aria-label': 'Admin' },
      el('span', { class: 'admin-title' }, 'Admin:'), ...ADMIN_PAGES.map(link))] : []),
    el('span', { class: 'spacer' }),
    el('span', { class: 'live', id: 'live', 'data-live': live.isOn() ? 'on' : 'off' }, live.isOn() ? 'Live' : 'Connecting…'),
    picker,
    el('span', { id: 'user' }, session.user.name),
    el('button', { id: 'logout', type: 'button', onclick: doLogout }, 'Log out'));
}

async function changeProject(projectId) {
  try {
    live.stop();
    await switchProject(projectId);
    live.start();
    route();
  } catch (e) {
    main.prepend(errorBox(e.message));
  }
}

async function doLogout() {
  live.stop();
  await logout();
  pendingMessage = 'You are logged out.';
  route();
}

live.onState((on) => {
  const badge = document.getElementById('live');
  if (!badge) return;
  badge.setAttribute('data-live', on ? 'on' : 'off');
  badge.textContent = on ? 'Live' : 'Reconnecting…';
});

onExpired(() => {
  live.stop();
  pendingMessage = 'Your session has expired or was revoked: log in again.';
  route();
});

window.addEventListener('hashchange', route);
route();
