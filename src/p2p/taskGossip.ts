import { type GossipSub, type Message, TopicValidatorResult } from '@libp2p/gossipsub';
import type { PeerId } from '@libp2p/interface';
import { TASKS_TOPIC } from './constants.ts';
import { decodeTaskAnnouncement, encodeTaskAnnouncement, type TaskAnnouncement } from './taskAnnouncement.ts';

/** Called for each valid announcement, with the peer that published it. */
export type TaskAnnouncementListener = (announcement: TaskAnnouncement, publisher: PeerId) => void;

/** Counters of the gossip service. */
export type TaskGossipStats = {
  published: number;
  /** Valid announcements delivered to listeners. */
  received: number;
  /** Messages rejected by the validator (not delivered, not forwarded). */
  invalid: number;
  /** Valid announcements for another chain, ignored. */
  otherChain: number;
};

/**
 * Task announcements over gossipsub topic `/concord/tasks/1`. A topic
 * validator drops (and counts) every message that fails the schema, so it is
 * neither delivered nor forwarded and never crashes the node.
 */
export class TaskGossip {
  readonly stats: TaskGossipStats = { published: 0, received: 0, invalid: 0, otherChain: 0 };
  readonly #pubsub: GossipSub;
  readonly #chainId: number;
  readonly #listeners = new Set<TaskAnnouncementListener>();
  readonly #onMessage = (evt: CustomEvent<Message>) => this.#deliver(evt.detail);

  /** Announcements for chains other than `chainId` are ignored. Call `start` to subscribe. */
  constructor(pubsub: GossipSub, chainId: number) {
    this.#pubsub = pubsub;
    this.#chainId = chainId;
  }

  /** Subscribes to the topic and installs the validator. */
  start(): void {
    this.#pubsub.topicValidators.set(TASKS_TOPIC, (_peer, msg) => this.#validate(msg));
    this.#pubsub.addEventListener('message', this.#onMessage);
    this.#pubsub.subscribe(TASKS_TOPIC);
  }

  /** Unsubscribes and removes the validator and listeners. */
  stop(): void {
    this.#pubsub.unsubscribe(TASKS_TOPIC);
    this.#pubsub.removeEventListener('message', this.#onMessage);
    this.#pubsub.topicValidators.delete(TASKS_TOPIC);
    this.#listeners.clear();
  }

  /** Publishes an announcement; resolves to the number of peers it was sent to. */
  async publish(announcement: TaskAnnouncement): Promise<number> {
    const result = await this.#pubsub.publish(TASKS_TOPIC, encodeTaskAnnouncement(announcement));
    this.stats.published++;
    return result.recipients.length;
  }

  /** Adds a listener; returns the function that removes it. */
  onAnnouncement(listener: TaskAnnouncementListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Peers known to be subscribed to the topic. */
  subscribers(): PeerId[] {
    return this.#pubsub.getSubscribers(TASKS_TOPIC);
  }

  #validate(msg: Message): TopicValidatorResult {
    try {
      const a = decodeTaskAnnouncement(msg.data);
      if (a.chainId !== this.#chainId) {
        this.stats.otherChain++;
        return TopicValidatorResult.Ignore;
      }
      return TopicValidatorResult.Accept;
    } catch {
      this.stats.invalid++;
      return TopicValidatorResult.Reject;
    }
  }

  #deliver(msg: Message): void {
    if (msg.topic !== TASKS_TOPIC || msg.type !== 'signed') return;
    let announcement: TaskAnnouncement;
    try {
      announcement = decodeTaskAnnouncement(msg.data);
    } catch {
      return;
    }
    this.stats.received++;
    for (const listener of this.#listeners) {
      try {
        listener(announcement, msg.from);
      } catch {
        // A failing listener must not stop delivery to the others or crash the node.
      }
    }
  }
}
