import { EventEmitter } from 'node:events';
import type { Types } from 'mongoose';
import type { CampaignStatus } from '../store/campaign-model.js';
import type { CallStatus, ContactFields } from '../store/contact-model.js';

export interface StatusChange {
  campaignId: Types.ObjectId;
  status: CampaignStatus;
  reason: string | null;
}

export interface ContactChange {
  campaignId: Types.ObjectId;
  from?: CallStatus;
  /** The contact after the change (absent for a change of many contacts at once). */
  contact?: ContactFields;
}

interface EventMap {
  status: [StatusChange];
  contact: [ContactChange];
}

/**
 * In-process notifications of state changes that were already written to the database. The engine listens to
 * `status` to stop a run at once when someone pauses it here (other processes notice at their next tick); the Slack
 * progress message listens to both.
 */
export class CampaignEvents extends EventEmitter<EventMap> {
  constructor() {
    super();
    // One listener per running campaign run, plus Slack's.
    this.setMaxListeners(0);
  }
}
