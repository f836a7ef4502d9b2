// The few browser APIs the dashboard uses. The project's TypeScript settings
// carry no DOM library (adding it would retype timers and fetch for the whole
// Node code base), so they are declared here, for the browser modules only.

import { DashboardPageElementMissingError } from './errors.ts';

/** An element as the dashboard touches it. */
export type PageElement = {
  innerHTML: string;
  textContent: string | null;
  insertAdjacentHTML(position: 'beforeend', html: string): void;
  addEventListener(type: string, listener: (event: { preventDefault(): void }) => void): void;
};

/** A form control: input, textarea, select or button. */
export type FormElement = PageElement & { value: string; disabled: boolean };

/** A server-sent event as EventSource delivers it. */
export type PageMessageEvent = { data: string };

/** The browser's EventSource (server-sent events). */
export type PageEventSource = {
  addEventListener(type: string, listener: (event: PageMessageEvent) => void): void;
  onerror: (() => void) | null;
};

declare const document: { getElementById(id: string): unknown };
declare const EventSource: new (url: string) => PageEventSource;

/** The element with this id; throws when the page lacks it (a build mismatch). */
export function element<T extends PageElement = PageElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new DashboardPageElementMissingError(id);
  return found as T;
}

/** Opens a server-sent event stream. */
export function openEventSource(url: string): PageEventSource {
  return new EventSource(url);
}
