// The security groups page: the project's groups with their rules, creating a group, adding and
// deleting rules, deleting a group. Follows the live feed of security groups (their rules too).
import { api, canChange } from './api.js';
import { el, append, errorBox, actor, confirmButton, field, readOnlyNotice, keepingInput } from './dom.js';
import * as live from './live.js';

const NET = '/network/v2.0';

function ports(rule) {
  if (rule.port_range_min === null || rule.port_range_min === undefined) return 'any';
  return rule.port_range_min === rule.port_range_max ? String(rule.port_range_min) : `${rule.port_range_min}-${rule.port_range_max}`;
}

function remote(rule, names) {
  if (rule.remote_group_id) return 'group ' + (names.get(rule.remote_group_id) || rule.remote_group_id);
  return rule.remote_ip_prefix || 'any';
}

export function render(main) {
  const message = el('div', { 'aria-live': 'polite', id: 'groups-message' });
  const list = el('div', { id: 'security-groups' });
  const createForm = el('form', { id: 'group-form', class: 'panel' },
    el('h2', {}, 'Create a security group'),
    field('Name', el('input', { id: 'group-name', name: 'group-name', maxlength: 255, autocomplete: 'off' })),
    field('Description', el('input', { id: 'group-description', name: 'group-description', maxlength: 255, autocomplete: 'off' })),
    el('div', { class: 'toolbar' }, el('button', { type: 'submit', class: 'primary', id: 'group-create' }, 'Create group')));
  const changes = canChange();
  append(main, [el('h1', {}, 'Security groups'), message, !changes && readOnlyNotice(), list, changes && createForm]);

  let groups = null;

  async function load() {
    try {
      groups = (await api.get(NET + '/security-groups')).security_groups;
      show();
    } catch (e) {
      message.replaceChildren(errorBox(e.message));
    }
  }

  function show() {
    const names = new Map(groups.map((g) => [g.id, g.name]));
    keepingInput(list, () => list.replaceChildren(...groups.map((g) => group(g, names))));
  }

  /** A group's change (its rules' too) reads that group again, or removes it once it is gone. */
  async function changed(changes) {
    if (changes === null || groups === null) return load();
    try {
      const read = await live.reread(changes, 'security_group',
        (id) => api.get(`${NET}/security-groups/${encodeURIComponent(id)}`).then((r) => r.security_group));
      groups = live.merge(groups, read, { last: true });
      show();
    } catch (e) {
      message.replaceChildren(errorBox(e.message));
    }
  }

  function group(g, names) {
    const rules = el('tbody', {}, (g.security_group_rules || []).map((r) => el('tr', { 'data-rule': r.id },
      el('td', {}, r.direction), el('td', {}, r.ethertype), el('td', {}, r.protocol || 'any'),
      el('td', {}, ports(r)), el('td', {}, remote(r, names)),
      changes && el('td', { class: 'actions' }, confirmButton('Delete', () => act(() => api.del(`${NET}/security-group-rules/${encodeURIComponent(r.id)}`)),
        { 'aria-label': 'Delete rule' })))));
    const prefix = 'rule-' + g.id;
    const ruleForm = el('form', { class: 'rule-form', 'data-group': g.id },
      el('div', { class: 'inline-fields' },
        el('div', {}, field('Direction', el('select', { id: prefix + '-direction', name: 'direction' },
          el('option', { value: 'ingress' }, 'ingress'), el('option', { value: 'egress' }, 'egress')))),
        el('div', {}, field('Protocol', el('select', { id: prefix + '-protocol', name: 'protocol' },
          ['tcp', 'udp', 'icmp', 'any'].map((p) => el('option', { value: p }, p))))),
        el('div', {}, field('Port from', el('input', { id: prefix + '-min', name: 'min', inputmode: 'numeric', autocomplete: 'off' }))),
        el('div', {}, field('Port to', el('input', { id: prefix + '-max', name: 'max', inputmode: 'numeric', autocomplete: 'off' }))),
        el('div', {}, field('Remote CIDR', el('input', { id: prefix + '-cidr', name: 'cidr', placeholder: '0.0.0.0/0', autocomplete: 'off' })))),
      el('button', { type: 'submit', 'data-action': 'Add rule' }, 'Add rule'));
    ruleForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const value = (name) => ruleForm.elements[name].value.trim();
      const rule = { security_group_id: g.id, direction: value('direction') };
      if (value('protocol') !== 'any') rule.protocol = value('protocol');
      if (value('min')) rule.port_range_min = Number(value('min'));
      if (value('max') || value('min')) rule.port_range_max = Number(value('max') || value('min'));
      if (value('cidr')) {
        rule.remote_ip_prefix = value('cidr');
        rule.ethertype = value('cidr').includes(':') ? 'IPv6' : 'IPv4';
      }
      act(() => api.post(NET + '/security-group-rules', { security_group_rule: rule }));
    });
    return el('section', { class: 'group panel', 'data-id': g.id, 'aria-label': 'Security group ' + g.name },
      el('h2', {}, g.name),
      g.description ? el('p', { class: 'notice' }, g.description) : null,
      el('div', { class: 'table-wrap' }, el('table', { 'aria-label': 'Rules of ' + g.name },
        el('thead', {}, el('tr', {}, ['Direction', 'Ether type', 'Protocol', 'Ports', 'Remote', changes && 'Actions']
          .filter(Boolean).map((c) => el('th', { scope: 'col' }, c)))), rules)),
      changes && ruleForm,
      changes && el('div', { class: 'toolbar' }, confirmButton('Delete', () => act(() => api.del(`${NET}/security-groups/${encodeURIComponent(g.id)}`)),
        { 'aria-label': 'Delete security group ' + g.name })));
  }

  const act = actor(message, load);

  createForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = createForm.elements['group-name'].value.trim();
    if (!name) {
      message.replaceChildren(errorBox('Give the group a name.'));
      return;
    }
    act(async () => {
      await api.post(NET + '/security-groups', { security_group: { name, description: createForm.elements['group-description'].value } });
      createForm.reset();
    });
  });

  const unfollow = live.follow(['security_group'], changed);
  load();
  return unfollow;
}
