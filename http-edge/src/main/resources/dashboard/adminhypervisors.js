// The admin's hypervisors page: each host's state, its vCPUs and RAM used of its total as usage
// bars, and its running servers, from Nova's os-hypervisors/detail at microversion 2.1 (the one
// whose detail still carries the usage). Admin only: a member's page shows Nova's refusal. The
// usage follows the live feed (a host's capacity claimed or released, its inventory reported).
import { api } from './api.js';
import { el, table, emptyRow, usageBar, refuse } from './dom.js';
import * as live from './live.js';

const COLUMNS = ['Name', 'State', 'Status', 'vCPUs', 'RAM', 'Running VMs'];

/** A usage cell: "used of total unit" as text, the numbers as attributes, and the bar. */
function usage(kind, used, total, unit) {
  return el('td', { class: kind, 'data-used': used, 'data-total': total },
    el('span', { class: 'quota-text' }, `${used}${unit} of ${total}${unit}`), usageBar(used, total));
}

export function render(main) {
  const heading = el('h1', {}, 'Hypervisors');
  const body = el('tbody', { id: 'hypervisors' });
  const summary = el('p', { id: 'hypervisors-summary', class: 'notice' });
  main.append(heading, summary, table('Hypervisors', COLUMNS, body));

  let refused = false;
  const load = () => api.get('/compute/v2.1/os-hypervisors/detail').then(({ hypervisors }) => {
    body.replaceChildren(...hypervisors.map((h) => el('tr', { 'data-id': h.id },
      el('td', { class: 'name' }, h.hypervisor_hostname),
      el('td', { class: 'state' }, h.state),
      el('td', { class: 'status' }, h.status),
      usage('vcpus', h.vcpus_used, h.vcpus, ''),
      usage('ram', h.memory_mb_used, h.memory_mb, ' MB'),
      el('td', { class: 'running' }, String(h.running_vms)))));
    if (hypervisors.length === 0) body.append(emptyRow(COLUMNS.length, 'No hypervisors have reported.'));
    summary.textContent = `${hypervisors.length} hypervisor${hypervisors.length === 1 ? '' : 's'}, `
      + `${hypervisors.filter((h) => h.state === 'up').length} up.`;
  }, (e) => {
    refused = true;
    refuse(main, heading, e);
  });
  const unfollow = live.follow(['hypervisor'], () => (refused ? null : load()));
  load();
  return unfollow;
}
