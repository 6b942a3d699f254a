// The overview: the project's quota usage as bar charts, from the same answers the CLI's
// `limits show` and `quota show` read (Nova's limits, Cinder's limits, Neutron's quota details), as dom.js's usage bars.
// Follows the live feed: what the project uses or may use changes with its servers, volumes,
// network resources and limits, wherever they are changed.
import { api, current } from './api.js';
import { el, errorBox, usageBar } from './dom.js';
import * as live from './live.js';

/** One quota as a labelled bar: {key, label, used, limit} (limit -1: unlimited). */
function chart({ key, label, used, limit, unit }) {
  const unlimited = limit < 0;
  const text = unlimited ? `${used}${unit} used, no limit` : `${used}${unit} of ${limit}${unit} used`;
  const bar = usageBar(used, limit);
  return el('li', { class: 'quota', 'data-quota': key, 'data-used': used, 'data-limit': limit },
    el('span', { class: 'quota-label' }, label), el('span', { class: 'quota-text' }, text), bar);
}

function section(title, items, error) {
  return el('section', { class: 'quotas', 'aria-label': title }, el('h2', {}, title),
    error ? errorBox(error) : el('ul', { class: 'charts' }, items.map(chart)));
}

async function compute() {
  const a = (await api.get('/compute/v2.1/limits')).limits.absolute;
  return [
    { key: 'instances', label: 'Instances', used: a.totalInstancesUsed, limit: a.maxTotalInstances, unit: '' },
    { key: 'cores', label: 'vCPUs', used: a.totalCoresUsed, limit: a.maxTotalCores, unit: '' },
    { key: 'ram', label: 'RAM', used: a.totalRAMUsed, limit: a.maxTotalRAMSize, unit: ' MB' }];
}

async function volumes(project) {
  const a = (await api.get(`/volume/v3/${encodeURIComponent(project)}/limits`)).limits.absolute;
  return [
    { key: 'volumes', label: 'Volumes', used: a.totalVolumesUsed, limit: a.maxTotalVolumes, unit: '' },
    { key: 'gigabytes', label: 'Volume storage', used: a.totalGigabytesUsed, limit: a.maxTotalVolumeGigabytes, unit: ' GB' }];
}

const NEUTRON = [['network', 'Networks'], ['subnet', 'Subnets'], ['port', 'Ports'], ['router', 'Routers'],
  ['floatingip', 'Floating IPs'], ['security_group', 'Security groups'], ['security_group_rule', 'Security group rules']];

async function network(project) {
  const q = (await api.get(`/network/v2.0/quotas/${encodeURIComponent(project)}/details.json`)).quota;
  return NEUTRON.filter(([key]) => q[key])
    .map(([key, label]) => ({ key, label, used: q[key].used, limit: q[key].limit, unit: '' }));
}

/** The feed's kinds whose changes move the charts: what they count, and the limits themselves. */
const USED_BY = ['server', 'volume', 'network', 'port', 'router', 'floatingip', 'security_group', 'quota'];

export function render(main) {
  const project = current().project;
  const body = el('div', { id: 'overview', 'aria-busy': 'true' });
  main.append(el('h1', {}, 'Overview of ', project.name), body);
  const settle = (p) => p.then((items) => ({ items }), (e) => ({ items: [], error: e.message }));
  const load = () => Promise.all([settle(compute()), settle(volumes(project.id)), settle(network(project.id))])
    .then(([c, v, n]) => {
      body.replaceChildren(section('Compute', c.items, c.error), section('Volumes', v.items, v.error),
        section('Network', n.items, n.error));
      body.setAttribute('aria-busy', 'false');
    });
  const unfollow = live.follow(USED_BY, load);
  load();
  return unfollow;
}
