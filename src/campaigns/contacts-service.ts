// What Slack does with a campaign's contacts: import a list, export them all, and show a page of them.
import type { CampaignFields } from '../store/campaign-model.js';
import { contactId, type ContactFields } from '../store/contact-model.js';
import type { Store } from '../store/store.js';
import { exportContacts, type ExportFile } from './contacts-export.js';
import { importContacts, type ImportReport } from './contacts-import.js';

export class ContactsService {
  constructor(private readonly store: Store) {}

  import(campaign: Pick<CampaignFields, '_id' | 'team_id'>, source: AsyncIterable<Buffer | string> | string): Promise<ImportReport> {
    return importContacts(this.store, { campaignId: campaign._id, teamId: campaign.team_id }, source);
  }

  export(campaign: Pick<CampaignFields, '_id' | 'keys' | 'columns'>): Promise<ExportFile> {
    return exportContacts(this.store, campaign);
  }

  /**
   * One page of contacts in import order, read by `_id` (contacts are numbered per campaign), so a page costs
   * `pageSize` lookups however large the campaign. `pages` counts numbers given out, so a page can show fewer
   * contacts where an import raced a duplicate.
   */
  async page(
    campaign: Pick<CampaignFields, '_id' | 'contacts_seq'>,
    page: number,
    pageSize: number,
  ): Promise<{ contacts: ContactFields[]; page: number; pages: number }> {
    const pages = Math.max(1, Math.ceil(campaign.contacts_seq / pageSize));
    const current = Math.min(Math.max(0, page), pages - 1);
    const first = current * pageSize + 1;
    const ids = Array.from({ length: Math.min(pageSize, campaign.contacts_seq - first + 1) }, (_, i) => contactId(campaign._id, first + i));
    const found = await Promise.all(ids.map((id) => this.store.Contact.findById(id).lean()));
    return { contacts: found.filter((c): c is NonNullable<typeof c> => c !== null) as ContactFields[], page: current, pages };
  }
}
