import type { CustomRoute } from '@slack/bolt';
import { findAttempt, type AppletCall } from '../campaigns/call-attempt.js';
import { renderTemplate } from '../campaigns/message-template.js';
import type { Logger } from '../logger.js';
import type { CampaignFields } from '../store/campaign-model.js';
import type { Store } from '../store/store.js';
import { answerPlain, appletRequest } from './applet-request.js';

export const EXOTEL_GREETING_PATH = '/exotel/greeting';

/**
 * What a call hears when its person's text cannot be given: an unknown or inconsistent call, a campaign without a
 * message, a database that did not answer. A constant rather than a setting: it must name nobody and nothing, so
 * there is nothing to configure; a campaign's own message is where its wording goes.
 */
export const NEUTRAL_GREETING = 'Hello, this is a reminder call.';

/** The URL to put in a Greeting applet's "Read text like a robot" (dynamic text from a URL). */
export function greetingUrl(publicUrl: string, secret: string): string {
  return `${publicUrl}${EXOTEL_GREETING_PATH}/${secret}`;
}

/** The text for this call: its contact's rendered message when the request is consistent with an attempt. */
async function greetingFor(store: Store, call: AppletCall): Promise<string> {
  const attempt = await findAttempt(store, call);
  if (!attempt) return NEUTRAL_GREETING;
  const campaign = (await store.Campaign.findById(attempt.contact.campaign_id, { message_template: 1 }).lean()) as Pick<
    CampaignFields,
    'message_template'
  > | null;
  if (!campaign?.message_template) return NEUTRAL_GREETING;
  return renderTemplate(campaign.message_template, attempt.contact) || NEUTRAL_GREETING;
}

/**
 * `GET` and `HEAD` `/exotel/greeting/<EXOTEL_WEBHOOK_SECRET>`: Exotel's Greeting applet fetches the text it reads
 * out (HEAD first, then GET, with CallSid, From, To, DialWhomNumber and CustomField). Answers `text/plain` only; a
 * wrong secret gets 404. Neither the number nor the text is logged.
 */
export function exotelGreetingRoute(secret: string, store: Store, log: Logger): CustomRoute {
  const routeLog = log.child({ component: 'exotel-greeting' });
  return {
    path: `${EXOTEL_GREETING_PATH}/:secret`,
    method: ['GET', 'HEAD'],
    handler: async (req, res) => {
      const request = appletRequest(req, secret);
      if (!request) return answerPlain(req, res, 404, 'Not found');
      let text = NEUTRAL_GREETING;
      try {
        text = await greetingFor(store, request.call);
      } catch (error) {
        routeLog.error({ err: error, call_sid: request.call.callSid }, 'could not look up a greeting; the neutral one was read');
      }
      routeLog.debug({ call_sid: request.call.callSid, method: req.method, personal: text !== NEUTRAL_GREETING }, 'greeting');
      answerPlain(req, res, 200, text);
    },
  };
}
