// The dashboard's browser script: listens to the node's `/v1/events` and
// re-renders on every snapshot. Bundled by scripts/build/web.mjs.
import { renderSnapshot } from './render.ts';
import type { DashboardSnapshot } from './snapshot.ts';

// The few browser APIs used here (the project's TypeScript settings carry no DOM library).
type Element = { innerHTML: string; textContent: string | null };
type MessageEvent = { data: string };
declare const document: { getElementById(id: string): Element | null };
declare class EventSource {
  constructor(url: string);
  addEventListener(type: string, listener: (event: MessageEvent) => void): void;
  onerror: (() => void) | null;
}

const view = document.getElementById('view');
const status = document.getElementById('status');
const events = new EventSource('/v1/events');
events.addEventListener('snapshot', (event) => {
  if (view) view.innerHTML = renderSnapshot(JSON.parse(event.data) as DashboardSnapshot);
  if (status) status.textContent = `live · updated ${new Date().toLocaleTimeString()}`;
});
events.addEventListener('problem', (event) => {
  if (status) status.textContent = `stale: ${JSON.parse(event.data) as string}`;
});
events.onerror = () => {
  if (status) status.textContent = 'disconnected; reconnecting…';
};
