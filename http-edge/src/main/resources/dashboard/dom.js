// Builds the page from data as text only: nothing here parses HTML, so a name such as
// <img src=x onerror=alert(1)> is shown as those characters and runs nothing.

/** An element with attributes (on* names: listeners) and children (strings become text nodes). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, '');
    else node.setAttribute(name, String(value));
  }
  append(node, children);
  return node;
}

/** Adds children: nodes as they are, anything else as text. */
export function append(node, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** What a page shows instead of its forms and buttons to a token that may not change anything. */
export function readOnlyNotice() {
  return el('p', { class: 'notice', id: 'read-only' }, 'Your role on this project lets you see its resources, not change them.');
}

/** A message that screen readers announce. */
export function errorBox(message) {
  return el('p', { class: 'error', role: 'alert' }, message);
}

/**
 * Runs `render`, which rebuilds what is in `root`, keeping what the user had typed or chosen in
 * its fields (by id) and the focus: a change pushed by the live feed must not undo them.
 */
export function keepingInput(root, render) {
  const values = new Map();
  root.querySelectorAll('input[id], select[id], textarea[id]').forEach((field) => {
    if (field.type === 'file' || field.type === 'checkbox' || field.type === 'radio') return;
    // a field as the page filled it (a quota's limit) takes the new value: only what was typed stays
    if (field.tagName !== 'SELECT' && field.value === field.defaultValue) return;
    values.set(field.id, field.value);
  });
  const focused = root.contains(document.activeElement) ? document.activeElement.id : '';
  render();
  values.forEach((value, id) => {
    const field = document.getElementById(id);
    if (field === null || !root.contains(field) || field.value === value) return;
    if (field.tagName !== 'SELECT' || [...field.options].some((option) => option.value === value)) field.value = value;
  });
  const again = focused && document.getElementById(focused);
  if (again && again !== document.activeElement) again.focus();
}

/**
 * How a page acts: runs the call, shows its error in the API's words in `message` (or clears
 * it), then reloads the page's data with `reload`.
 */
export function actor(message, reload) {
  return async (call) => {
    try {
      await call();
      message.replaceChildren();
    } catch (e) {
      message.replaceChildren(errorBox(e.message));
    }
    await reload();
  };
}

/** The addresses of a server document, as "net: a, b; net2: c". */
export function addressText(addresses) {
  return Object.entries(addresses || {})
    .map(([net, list]) => `${net}: ${list.map((a) => a.addr).join(', ')}`)
    .join('; ');
}

/** A button that asks once more before it acts ("Confirm delete"), so no stray key press deletes. */
export function confirmButton(label, act, attrs = {}) {
  const button = el('button', { type: 'button', class: 'danger', 'data-action': label, ...attrs }, label);
  button.addEventListener('click', () => {
    if (button.getAttribute('data-armed') !== 'yes') {
      button.setAttribute('data-armed', 'yes');
      button.textContent = 'Confirm ' + label.toLowerCase();
      if (attrs['aria-label']) button.setAttribute('aria-label', 'Confirm: ' + attrs['aria-label']);
      return;
    }
    act();
  });
  return button;
}

/** A table with a caption for screen readers, its header row, and the tbody given. */
export function table(label, columns, body) {
  return el('div', { class: 'table-wrap' }, el('table', { 'aria-label': label },
    el('thead', {}, el('tr', {}, columns.map((c) => el('th', { scope: 'col' }, c)))), body));
}

/** A label and its control. */
export function field(label, control) {
  return [el('label', { for: control.id }, label), control];
}

/** A row spanning the table that says it is empty. */
export function emptyRow(columns, text) {
  return el('tr', {}, el('td', { colspan: columns, class: 'notice' }, text));
}

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  return node;
}

/**
 * A usage bar for `used` of `limit` (limit -1: unlimited), as SVG rectangles sized by attributes:
 * the page's policy allows no inline style.
 */
export function usageBar(used, limit) {
  const unlimited = limit < 0;
  const share = unlimited || limit === 0 ? (used > 0 && limit === 0 ? 1 : 0) : Math.min(1, used / limit);
  const level = share >= 0.9 ? 'full' : share >= 0.7 ? 'high' : 'ok';
  const bar = svg('svg', { class: 'bar', viewBox: '0 0 100 6', preserveAspectRatio: 'none', 'aria-hidden': 'true' });
  bar.append(svg('rect', { class: 'bar-track', x: 0, y: 0, width: 100, height: 6 }),
    svg('rect', { class: 'bar-used bar-' + level, x: 0, y: 0, width: (share * 100).toFixed(2), height: 6 }));
  return bar;
}

/**
 * An admin page refused (a member's token: the API's 403): the page shows its heading and the
 * API's words, nothing else. Does nothing if another page has replaced it meanwhile.
 */
export function refuse(main, heading, error) {
  if (heading.isConnected) main.replaceChildren(heading, errorBox(error.message));
}
