// Submissions of the create and add-contacts modals. What can be checked at once (name, title, pace, caller id,
// the file's type and size) is answered inline on the field; the import itself runs after the ack, and its report
// is posted where the command was typed.
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { EDITABLE_STATUSES, nameProblem } from '../../campaigns/vocabulary.js';
import { ImportError, MAX_IMPORT_BYTES, type ImportReport } from '../../campaigns/contacts-import.js';
import type { CampaignFields } from '../../store/campaign-model.js';
import { campaignIdOf } from '../actions/start-confirm.js';
import { actorOf } from '../actor.js';
import { notAllowed, refusal } from '../campaign-sentences.js';
import { downloadSlackFile, FileDownloadError } from '../file-download.js';
import { BlockId, InputId } from '../ids.js';
import { postImportReport, postToChannelOrUser } from '../import-report.js';
import { slackDate } from '../blocks/format.js';
import type { SlackDeps } from '../slack-deps.js';
import { checkTemplate } from '../../campaigns/message-template.js';
import { parseKeys } from '../../campaigns/keypresses.js';
import { readRules } from './rules-values.js';

type Args = AllMiddlewareArgs & SlackViewMiddlewareArgs<ViewSubmitAction>;
type Values = ViewSubmitAction['view']['state']['values'];

interface UploadedFile {
  id: string;
  name?: string;
  filetype?: string;
  mimetype?: string;
  size?: number;
  url_private_download?: string;
  url_private?: string;
}

function text(values: Values, block: string): string {
  return (values[block]?.[InputId.value]?.value ?? '').trim();
}

function file(values: Values): UploadedFile | undefined {
  return (values[BlockId.file]?.[InputId.value] as { files?: UploadedFile[] } | undefined)?.files?.[0];
}

function fileProblem(f: UploadedFile | undefined): string | null {
  if (!f) return null;
  if ((f.size ?? 0) > MAX_IMPORT_BYTES) return 'This file is larger than 10 MB. Split it, then add the parts with /campaign add.';
  const name = (f.name ?? '').toLowerCase();
  const csvLike =
    ['csv', 'text', 'txt', 'tsv'].includes((f.filetype ?? '').toLowerCase()) ||
    /\.(csv|txt|tsv)$/.test(name) ||
    (f.mimetype ?? '').startsWith('text/');
  if (!csvLike) return 'This is not a CSV file. Save the sheet as CSV (comma, semicolon or tab separated) and upload that.';
  return null;
}

function metadata(raw: string): { channel: string | null; id?: string } {
  try {
    const m = JSON.parse(raw || '{}') as { channel?: string | null; id?: string };
    return { channel: typeof m.channel === 'string' ? m.channel : null, id: m.id };
  } catch {
    return { channel: null };
  }
}

/** Imports the uploaded file and the pasted list into the campaign, then posts the report. */
async function runImport(deps: SlackDeps, args: Args, campaign: CampaignFields, channel: string | null, values: Values): Promise<void> {
  const log = deps.log.child({ campaign: String(campaign._id) });
  const target = { channel, userId: args.body.user.id };
  const uploaded = file(values);
  const pasted = text(values, BlockId.paste);
  const sources: Array<{ label: string; open: () => Promise<AsyncIterable<Buffer | string> | string> }> = [];
  if (uploaded) {
    sources.push({
      label: `the file ${uploaded.name ?? ''}`.trim(),
      open: () =>
        downloadSlackFile(
          uploaded.url_private_download ?? uploaded.url_private ?? '',
          deps.config.slack.botToken,
          deps.config.slack.apiUrl,
          MAX_IMPORT_BYTES,
        ),
    });
  }
  if (pasted) sources.push({ label: 'the pasted list', open: async () => pasted });
  if (sources.length === 0) {
    await postToChannelOrUser(
      args.client,
      target,
      `Created \`${campaign.name}\` with no contacts yet. \`/campaign add ${campaign.name}\` adds them.`,
      log,
    );
    return;
  }
  for (const source of sources) {
    let report: ImportReport;
    try {
      report = await deps.contacts.import(campaign, await source.open());
    } catch (error) {
      if (error instanceof ImportError || error instanceof FileDownloadError) {
        await postToChannelOrUser(
          args.client,
          target,
          `Nothing was imported from ${source.label} into \`${campaign.name}\`: ${error.message}`,
          log,
        );
        continue;
      }
      log.error({ err: error }, 'contact import failed');
      await postToChannelOrUser(
        args.client,
        target,
        `The import into \`${campaign.name}\` stopped on an unexpected error. Contacts imported before it are kept; run \`/campaign add ${campaign.name}\` again with the same file (duplicates are skipped).`,
        log,
      );
      continue;
    }
    log.info({ imported: report.imported, duplicates: report.duplicates, invalid: report.invalid.length }, 'contacts imported');
    await postImportReport(args.client, target, campaign.name, report, log);
  }
}

export function campaignCreateSubmit(deps: SlackDeps) {
  return async function handleCampaignCreateSubmit(args: Args): Promise<void> {
    const { ack, view, body } = args;
    const values = view.state.values;
    const errors: Record<string, string> = {};
    const who = await actorOf(deps, body.user.id);
    const refused = 'refusal' in who ? who.refusal : deps.service.createRefusal(who.actor);
    if (refused) {
      await ack({
        response_action: 'errors',
        errors: { [BlockId.name]: refused === 'guest' || refused === 'not-operator' ? notAllowed(refused, 'create') : refused },
      });
      return;
    }
    const name = text(values, BlockId.name).toLowerCase();
    const problem = nameProblem(name);
    if (problem) errors[BlockId.name] = problem;
    else if (await deps.service.findByName(body.team?.id ?? '', name))
      errors[BlockId.name] = `A campaign named ${name} already exists. Choose another name.`;
    if (!text(values, BlockId.title)) errors[BlockId.title] = 'Give the campaign a title people will recognise.';
    const callerId = callerIdOf(values, errors);
    const content = callContentOf(values, file(values) ? null : [], errors);
    const badFile = fileProblem(file(values));
    if (badFile) errors[BlockId.file] = badFile;
    const rules = readRules(values, new Date());
    if (!rules.ok || Object.keys(errors).length > 0) {
      await ack({ response_action: 'errors', errors: { ...errors, ...(rules.ok ? {} : rules.errors) } });
      return;
    }
    const { startAt, ...campaignRules } = rules.rules;
    const { channel } = metadata(view.private_metadata);
    const created = await deps.service.create({
      teamId: body.team?.id ?? '',
      name,
      title: text(values, BlockId.title),
      description: text(values, BlockId.description),
      owner: body.user.id,
      channel,
      callerId,
      callsPerMinute: campaignRules.calls_per_minute,
      rules: { retry: campaignRules.retry, calling_hours: campaignRules.calling_hours, call_until: campaignRules.call_until, ...content },
    });
    if (!created.ok) {
      await ack({ response_action: 'errors', errors: { [BlockId.name]: created.message } });
      return;
    }
    await ack();
    await runImport(deps, args, created.campaign, channel, values);
    await checkTemplateColumns(deps, args, created.campaign, channel);
    if (startAt) await scheduleAfterCreate(deps, args, created.campaign, channel, startAt);
  };
}

/** The create form's "Start at": scheduled once its contacts are in, reporting where the form was opened. */
async function scheduleAfterCreate(deps: SlackDeps, args: Args, campaign: CampaignFields, channel: string | null, at: Date): Promise<void> {
  const log = deps.log.child({ campaign: String(campaign._id) });
  const result = await deps.service.schedule(campaign._id, { userId: args.body.user.id }, at, { channel, progress_channel: channel });
  const text = result.ok
    ? `\`${campaign.name}\` is scheduled to start ${slackDate(at)}.`
    : result.reason === 'nothing-to-call'
      ? `\`${campaign.name}\` was not scheduled: it has no contacts to call. Add some with \`/campaign add ${campaign.name}\`, then \`/campaign schedule ${campaign.name} <when>\`.`
      : `\`${campaign.name}\` was not scheduled. \`/campaign schedule ${campaign.name} <when>\` tries again.`;
  await postToChannelOrUser(args.client, { channel, userId: args.body.user.id }, text, log);
}

/**
 * The message template and keys typed, checked: against `columns` when they are known (edit), else only their form
 * (create: the columns come with the file, imported after the form closes, and are checked then).
 */
function callContentOf(
  values: Values,
  columns: readonly string[] | null,
  errors: Record<string, string>,
): { message_template: string | null; keys: Record<string, string> } {
  const template = text(values, BlockId.template);
  if (template) {
    const placeholders =
      columns ??
      [...template.matchAll(/\{([^{}]*)\}/g)].map((m) =>
        m[1]!
          .trim()
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, '_'),
      );
    const check = checkTemplate(template, placeholders);
    if (!check.ok) errors[BlockId.template] = check.problem;
  }
  const keysText = text(values, BlockId.keys);
  const keys = keysText ? parseKeys(keysText) : ({ ok: true, keys: {} } as const);
  if (!keys.ok) errors[BlockId.keys] = keys.problem;
  return { message_template: template || null, keys: keys.ok ? keys.keys : {} };
}

/** After an import: a message that names columns the file did not have is worth saying at once. */
async function checkTemplateColumns(deps: SlackDeps, args: Args, campaign: CampaignFields, channel: string | null): Promise<void> {
  const fresh = await deps.service.findById(campaign._id);
  if (!fresh?.message_template) return;
  const check = checkTemplate(fresh.message_template, fresh.columns);
  if (check.ok) return;
  await postToChannelOrUser(
    args.client,
    { channel, userId: args.body.user.id },
    `${check.problem} \`/campaign edit ${campaign.name}\` fixes the message.`,
    deps.log,
  );
}

/** The caller id typed, as digits, or null; a sentence in `errors` when it cannot be one. */
function callerIdOf(values: Values, errors: Record<string, string>): string | null {
  const callerId = text(values, BlockId.callerId).replace(/[\s-]/g, '');
  if (callerId && !/^\+?\d{8,15}$/.test(callerId)) errors[BlockId.callerId] = 'Use the ExoPhone’s digits, e.g. 08047112345.';
  return callerId || null;
}

/** The edit form: title, description, caller id and rules, saved in one conditional update while not running. */
export function campaignEditSubmit(deps: SlackDeps) {
  return async function handleCampaignEditSubmit(args: Args): Promise<void> {
    const { ack, view, body } = args;
    const values = view.state.values;
    const errors: Record<string, string> = {};
    if (!text(values, BlockId.title)) errors[BlockId.title] = 'Give the campaign a title people will recognise.';
    const callerId = callerIdOf(values, errors);
    const id = campaignIdOf(metadata(view.private_metadata).id);
    const campaign = id ? await deps.service.findById(id) : null;
    const content = callContentOf(values, campaign?.columns ?? [], errors);
    const rules = readRules(values, new Date());
    if (!rules.ok || Object.keys(errors).length > 0) {
      await ack({ response_action: 'errors', errors: { ...errors, ...(rules.ok ? {} : rules.errors) } });
      return;
    }
    const { startAt: _ignored, ...set } = rules.rules;
    const result = id
      ? await deps.service.updateRules(
          id,
          { userId: body.user.id },
          { ...set, ...content, title: text(values, BlockId.title), description: text(values, BlockId.description), caller_id: callerId },
        )
      : ({ ok: false, reason: 'not-found', campaign: null } as const);
    if (!result.ok) {
      await ack({ response_action: 'errors', errors: { [BlockId.title]: refusal('edit', result) } });
      return;
    }
    await ack();
  };
}

export function addContactsSubmit(deps: SlackDeps) {
  return async function handleAddContactsSubmit(args: Args): Promise<void> {
    const { ack, view, body } = args;
    const values = view.state.values;
    const meta = metadata(view.private_metadata);
    const badFile = fileProblem(file(values));
    if (badFile) return void (await ack({ response_action: 'errors', errors: { [BlockId.file]: badFile } }));
    if (!file(values) && !text(values, BlockId.paste)) {
      return void (await ack({
        response_action: 'errors',
        errors: { [BlockId.paste]: 'Upload a CSV file or paste at least one number.' },
      }));
    }
    const campaign = await deps.service.findById(campaignIdOf(meta.id) ?? '');
    if (!campaign) return void (await ack({ response_action: 'errors', errors: { [BlockId.paste]: 'That campaign no longer exists.' } }));
    if (!deps.service.canManage(campaign, { userId: body.user.id })) {
      return void (await ack({
        response_action: 'errors',
        errors: { [BlockId.paste]: refusal('add', { ok: false, reason: 'forbidden', campaign }) },
      }));
    }
    if (!EDITABLE_STATUSES.includes(campaign.status)) {
      return void (await ack({
        response_action: 'errors',
        errors: { [BlockId.paste]: `${campaign.name} is running. Pause it first, then add contacts.` },
      }));
    }
    await ack();
    await runImport(deps, args, campaign, meta.channel, values);
  };
}
