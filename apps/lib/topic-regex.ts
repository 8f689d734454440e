/** Topic selection by regular expression, shared by the connect manager and the InfluxDB sink. */

/** Whole-name match, as Kafka Connect's `topics.regex` (Java `Pattern.matches`). */
export function topicMatcher(regex: string): (topic: string) => boolean {
  const re = new RegExp(`^(?:${regex})$`);
  return (t) => re.test(t);
}
