/**
 * The message box: Enter sends, Shift+Enter starts a new line; a character counter turns red
 * past the limit; the shared `MessageText` schema decides what may be sent, and its reason
 * is shown under the box (the text stays, so nothing is lost).
 */
import { CHAT_LIMITS, firstProblem, MessageText } from '../shared/chat-protocol.js';
import { h } from '../ui/dom.js';

/** The composer's parts. */
export interface Composer {
  readonly element: HTMLElement;
  /** Show a problem under the box (or clear it). */
  setProblem(text: string | undefined): void;
  focus(): void;
}

/** Build the composer; `send` gets text that passed the schema. */
export function createComposer(send: (text: string) => void): Composer {
  const input = h('textarea', { class: 'input', id: 'message-input', rows: 1, placeholder: 'Write a message…', 'aria-label': 'Message', 'aria-describedby': 'message-problem message-count' });
  const button = h('button', { class: 'button', type: 'submit' }, 'Send');
  const form = h('form', { class: 'composer', id: 'message-form', autocomplete: 'off' }, input, button);
  const problem = h('span', { id: 'message-problem', role: 'alert' });
  const count = h('span', { id: 'message-count' });
  const element = h('div', { class: 'room-foot' }, form, h('div', { class: 'hint' }, problem, count));

  const setProblem = (text: string | undefined): void => {
    problem.textContent = text ?? '';
    problem.className = text === undefined ? '' : 'hint over';
    input.setAttribute('aria-invalid', String(text !== undefined));
  };
  const updateCount = (): void => {
    const length = input.value.length;
    count.textContent = `${length} / ${CHAT_LIMITS.messageMax}`;
    count.className = length > CHAT_LIMITS.messageMax ? 'over' : '';
    input.style.height = 'auto';
    input.style.height = `${input.scrollHeight + 2}px`;
  };
  const submit = (): void => {
    const text = input.value;
    const reason = firstProblem(MessageText, text);
    if (reason !== undefined) return setProblem(text.length > CHAT_LIMITS.messageMax ? `${reason} (this one has ${text.length})` : reason);
    setProblem(undefined);
    send(text);
    input.value = '';
    updateCount();
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit();
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  input.addEventListener('input', () => {
    updateCount();
    if (problem.textContent !== '' && firstProblem(MessageText, input.value) === undefined) setProblem(undefined);
  });
  updateCount();
  return { element, setProblem, focus: () => input.focus() };
}
