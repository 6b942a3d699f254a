// A server's page: its details, actions, console log and history of actions, kept current by
// the live feed.
import { api, canChange } from './api.js';
import { el, errorBox, addressText } from './dom.js';
import * as live from './live.js';
import { ACTIONS, names } from './instances.js';

export function render(main, id) {
  const path = '/compute/v2.1/servers/' + encodeURIComponent(id);
  const title = el('h1', { id: 'server-title' }, 'Instance');
  const message = el('div', { 'aria-live': 'polite' });
  const details = el('dl', { class: 'details', id: 'details' });
  const actions = el('div', { class: 'toolbar', id: 'server-actions' });
  const consoleLog = el('pre', { class: 'console', id: 'console', tabindex: 0 });
  const history = el('tbody', { id: 'history' });
  main.append(el('p', {}, el('a', { href: '#/instances' }, '← Instances')), title, message, actions, details,
    el('h2', {}, 'Console log'),
    el('div', { class: 'toolbar' }, el('button', { type: 'button', id: 'console-refresh', onclick: () => loadConsole() }, 'Refresh')),
    consoleLog,
    el('h2', {}, 'History'),
    el('div', { class: 'table-wrap' }, el('table', { 'aria-label': 'History' },
      el('thead', {}, el('tr', {}, ['Action', 'Started', 'Request', 'Message'].map((c) => el('th', { scope: 'col' }, c)))),
      history)));

  let lookup = { flavor: new Map(), image: new Map() };

  async function load() {
    try {
      const server = (await api.get(path)).server;
      show(server);
      await Promise.all([loadHistory(), loadConsole()]);
    } catch (e) {
      message.replaceChildren(errorBox(e.message));
    }
  }

  function show(s) {
    title.textContent = s.name;
    const rows = [
      ['ID', s.id], ['Status', s.status], ['Task', s['OS-EXT-STS:task_state'] || ''],
      ['Flavor', lookup.flavor.get(s.flavor.id) || s.flavor.id],
      ['Image', s.image && s.image.id ? (lookup.image.get(s.image.id) || s.image.id) : ''],
      ['Addresses', addressText(s.addresses)], ['Key pair', s.key_name || ''],
      ['Security groups', (s.security_groups || []).map((g) => g.name).join(', ')],
      ['Created', s.created], ['Updated', s.updated]];
    if ('OS-EXT-SRV-ATTR:host' in s) rows.push(['Host', s['OS-EXT-SRV-ATTR:host'] || '']);
    details.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', { 'data-field': k }, v)]));
    if (!canChange()) return;
    actions.replaceChildren(...ACTIONS.filter((a) => a.when.includes(s.status) && !s['OS-EXT-STS:task_state'])
      .map((a) => el('button', { type: 'button', 'data-action': a.label, onclick: () => act(a.body) }, a.label)));
  }

  async function act(body) {
    try {
      await api.post(path + '/action', body);
    } catch (e) {
      message.replaceChildren(errorBox(e.message));
    }
  }

  async function loadHistory() {
    const list = (await api.get(path + '/os-instance-actions')).instanceActions;
    history.replaceChildren(...list.map((a) => el('tr', {},
      el('td', { class: 'action' }, a.action), el('td', {}, a.start_time || ''),
      el('td', {}, a.request_id || ''), el('td', {}, a.message || ''))));
  }

  async function loadConsole() {
    try {
      const output = (await api.post(path + '/action', { 'os-getConsoleOutput': { length: 200 } })).output;
      consoleLog.textContent = output || '(the console has printed nothing yet)';
    } catch (e) {
      consoleLog.textContent = e.message;
    }
  }

  const unsubscribe = live.subscribe((change) => {
    if (change.ready || change.id === id) {
      if (change.status === 'DELETED') message.replaceChildren(errorBox('This instance was deleted.'));
      else load();
    }
  });
  // a floating IP associated or disassociated changes the addresses (the change names the
  // floating IP alone): the one server is read again
  const unfollow = live.follow(['floatingip'], (changes) => (changes ? load() : null));
  names().then((n) => {
    lookup = n;
    load();
  });
  return () => {
    unsubscribe();
    unfollow();
  };
}
