// The admin's list of every project's servers (Nova's servers/detail?all_tenants=1): name, project,
// host, status and flavor, each name a link to the server's own page. Admin only: Nova answers a
// member's all_tenants with that member's own servers, so the page asks the identity API first,
// which refuses a member in its words.
import { all, api } from './api.js';
import { el, table, emptyRow, refuse } from './dom.js';
import * as live from './live.js';

const COLUMNS = ['Name', 'Project', 'Host', 'Status', 'Flavor'];

export function render(main) {
  const heading = el('h1', {}, 'All instances');
  const body = el('tbody', { id: 'all-servers' });
  main.append(heading, table('All instances', COLUMNS, body));
  let known = new Set();

  async function load() {
    try {
      const [projects, flavors, servers] = await all([
        api.get('/identity/v3/projects').then((r) => r.projects),
        api.get('/compute/v2.1/flavors/detail?is_public=None').then((r) => r.flavors),
        api.get('/compute/v2.1/servers/detail?all_tenants=1').then((r) => r.servers)]);
      const project = new Map(projects.map((p) => [p.id, p.name]));
      const flavor = new Map(flavors.map((f) => [f.id, f.name]));
      known = new Set(servers.map((s) => s.id));
      body.replaceChildren(...servers.map((s) => el('tr', { 'data-id': s.id },
        el('td', { class: 'name' }, el('a', { href: '#/servers/' + encodeURIComponent(s.id) }, s.name)),
        el('td', { class: 'project', 'data-project': s.tenant_id }, project.get(s.tenant_id) || s.tenant_id),
        el('td', { class: 'host' }, s['OS-EXT-SRV-ATTR:host'] || ''),
        el('td', { class: 'status status-' + s.status }, s.status),
        el('td', { class: 'flavor' }, flavor.get(s.flavor.id) || s.flavor.id))));
      if (servers.length === 0) body.append(emptyRow(COLUMNS.length, 'No instances.'));
    } catch (e) {
      refuse(main, heading, e);
    }
  }

  // the admin's feed carries every project's servers: a status changes in place, a new or
  // deleted server reloads the list
  const unsubscribe = live.subscribe((change) => {
    if (change.ready) return; // the follow below reloads at each (re)open
    const status = known.has(change.id) && body.querySelector(`tr[data-id="${CSS.escape(change.id)}"] td.status`);
    if (status && change.status !== 'DELETED') {
      status.textContent = change.status;
      status.className = 'status status-' + change.status;
    } else {
      load();
    }
  });
  // a project's or flavor's new name
  const unfollow = live.follow(['project', 'flavor'], load);
  load();
  return () => {
    unsubscribe();
    unfollow();
  };
}
