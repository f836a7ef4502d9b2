// The dashboard's browser script: re-renders the node's state on every
// `snapshot` event of `/v1/events`, polls `GET /v1/models` for the versions
// this node serves, and runs the inference playground. Bundled by
// scripts/build/web.mjs.
import { element, openEventSource } from './dom.ts';
import { startPlayground } from './playground.ts';
import { renderSnapshot } from './render.ts';
import { parseModelList, type ServedModelInfo } from './servedModels.ts';
import type { DashboardSnapshot } from './snapshot.ts';

/** How often the page asks `GET /v1/models` for the served versions, in ms. */
const MODELS_POLL_MS = 3000;

const view = element('view');
const status = element('status');
const updateModelChoices = startPlayground();
let snapshot: DashboardSnapshot | undefined;
let served: ServedModelInfo[] = [];

const render = () => {
  if (snapshot) view.innerHTML = renderSnapshot(snapshot, served);
};

const events = openEventSource('/v1/events');
events.addEventListener('snapshot', (event) => {
  snapshot = JSON.parse(event.data) as DashboardSnapshot;
  render();
  status.textContent = `live · updated ${new Date().toLocaleTimeString()}`;
});
events.addEventListener('problem', (event) => {
  status.textContent = `stale: ${JSON.parse(event.data) as string}`;
});
events.onerror = () => {
  status.textContent = 'disconnected; reconnecting…';
};

/** Reads the served versions; a node without model serving answers 404, which shows as none. */
async function pollModels(): Promise<void> {
  try {
    const res = await fetch('/v1/models');
    const next = res.ok ? parseModelList(await res.json()) : [];
    if (JSON.stringify(next) !== JSON.stringify(served)) {
      served = next;
      render();
    }
    updateModelChoices(served);
  } catch {
    // The node is unreachable: the event stream's status line already says so.
  }
}
void pollModels();
setInterval(() => void pollModels(), MODELS_POLL_MS);
