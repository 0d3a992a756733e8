// The person behind a Slack request as the campaign service sees them, and the sentences for what they may not do.
import type { Actor } from '../campaigns/campaign-service.js';
import { PeopleLookupError } from './people.js';
import type { SlackDeps } from './slack-deps.js';

/** The actor, or the sentence to show when Slack could not say who they are. */
export async function actorOf(deps: Pick<SlackDeps, 'people'>, userId: string): Promise<{ actor: Actor } | { refusal: string }> {
  try {
    return { actor: await deps.people.actor(userId) };
  } catch (error) {
    if (error instanceof PeopleLookupError) return { refusal: error.message };
    throw error;
  }
}
