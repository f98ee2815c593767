/**
 * Listener sets: message listeners by name, event listeners (errors, resume outcomes), and
 * reporting a listener that throws. A throwing listener does not stop the others; its error is
 * reported like an uncaught exception (`reportError` in browsers — window.onerror; an uncaught
 * exception in Node), as EventTarget does.
 */

/** Report an error thrown by application code called from the client. */
export function reportListenerError(error: unknown): void {
  const report = (globalThis as { reportError?: (error: unknown) => void }).reportError;
  if (typeof report === 'function') report(error);
  else
    setTimeout(() => {
      throw error;
    }, 0);
}

/** Listeners of one kind of event, by name. */
export class ListenerMap<L extends (value: never) => void> {
  private readonly byName = new Map<string, Set<L>>();

  add(name: string, listener: L): void {
    let set = this.byName.get(name);
    if (set === undefined) this.byName.set(name, (set = new Set()));
    set.add(listener);
  }

  delete(name: string, listener: L): void {
    const set = this.byName.get(name);
    if (set === undefined) return;
    set.delete(listener);
    if (set.size === 0) this.byName.delete(name);
  }

  /** Call every listener of `name` with `value`; true when there was one. */
  emit(name: string, value: Parameters<L>[0]): boolean {
    const set = this.byName.get(name);
    if (set === undefined) return false;
    for (const listener of set) {
      try {
        listener(value);
      } catch (error) {
        reportListenerError(error);
      }
    }
    return true;
  }
}

/** Listeners of one event (errors, resume outcomes). */
export class EventListeners<T> {
  private readonly set = new Set<(event: T) => void>();

  /** Add a listener; returns the function that removes it. */
  add(listener: (event: T) => void): () => void {
    this.set.add(listener);
    return () => {
      this.set.delete(listener);
    };
  }

  emit(event: T): void {
    for (const listener of this.set) {
      try {
        listener(event);
      } catch (error) {
        reportListenerError(error);
      }
    }
  }
}
