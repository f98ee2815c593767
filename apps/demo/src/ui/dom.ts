/**
 * The pages' one DOM helper. Text always goes in through `textContent` (never `innerHTML`),
 * so what a user typed — `<img src=x onerror=…>` included — is shown as text and never parsed
 * as HTML.
 */

/** Attributes of {@link h}: strings become attributes, `false`/`undefined` are left out. */
export type Attrs = Readonly<Record<string, string | number | boolean | undefined>>;

/** A child of {@link h}: an element, or text. */
export type Child = Node | string | number | false | null | undefined;

/**
 * Create an element.
 *
 * @example h('li', { class: 'msg' }, h('b', {}, from), ' ', text)
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** Append children (text as text nodes). */
export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Replace an element's children. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** The element with `id`; throws when the page lacks it (a build mistake, not a user one). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`the page has no #${id}`);
  return el as T;
}

/** `12:04` in the user's locale. */
export function clock(at: number): string {
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}
