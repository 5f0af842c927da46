/**
 * A link to a Slack message from its channel and ts. slack.com/archives links open in the workspace of
 * whoever follows them, so they need no workspace domain.
 *
 * @example slackMessageLink("C0INC0001", "1767776400.000100") // "https://slack.com/archives/C0INC0001/p1767776400000100"
 */
export function slackMessageLink(channel: string, ts: string): string {
  return `https://slack.com/archives/${channel}/p${ts.replace(".", "")}`;
}
