using Cronos;

namespace Lifeboat.Agent.Scheduling;

/// <summary>
/// A cron expression (5 fields, or 6 with seconds first) read in a time zone, by Cronos: on a spring-forward day a slot
/// in the skipped hour runs at the moment the clocks jump; on a fall-back day a slot in the repeated hour runs once (at
/// its first occurrence), except for expressions that fire every hour or more often, which keep firing in both.
/// </summary>
public sealed class CronSchedule : ISchedule
{
    private readonly CronExpression _expression;

    private CronSchedule(string text, CronExpression expression, TimeZoneInfo timeZone)
    {
        Text = text;
        _expression = expression;
        TimeZone = timeZone;
    }

    /// <inheritdoc />
    public string Text { get; }

    /// <summary>The zone the expression's fields are read in.</summary>
    public TimeZoneInfo TimeZone { get; }

    /// <inheritdoc />
    public DateTimeOffset? Next(DateTimeOffset after) => _expression.GetNextOccurrence(after, TimeZone);

    /// <summary>The names of the fields, in order, for the 5-field and the 6-field (seconds first) forms.</summary>
    private static readonly string[] FiveFields = ["minute", "hour", "day of month", "month", "day of week"];

    /// <summary>
    /// Parses <paramref name="text"/>, or says why it is not a cron expression: <paramref name="error"/> is Cronos's
    /// reason with the field it is about, and <paramref name="offset"/> the 0-based position of that field in the text
    /// (-1 when the reason is about the whole expression).
    /// </summary>
    public static CronSchedule? TryParse(string text, TimeZoneInfo timeZone, out string? error, out int offset)
    {
        error = null;
        offset = -1;
        var fields = Fields(text);
        var macro = text.TrimStart().StartsWith('@');
        if (!macro && fields.Count is not (5 or 6))
        {
            error = $"a cron expression has 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first; '{text}' has {fields.Count}";
            return null;
        }

        var format = fields.Count == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard;
        try
        {
            var expression = CronExpression.Parse(text.Trim(), format);
            if (expression.GetNextOccurrence(new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero), timeZone) is null)
            {
                error = $"the cron expression '{text}' never matches a date";
                return null;
            }

            return new CronSchedule(text.Trim(), expression, timeZone);
        }
        catch (CronFormatException e)
        {
            var reason = e.Message.Replace("The given cron expression has an invalid format.", string.Empty, StringComparison.Ordinal).Trim();
            reason = reason.Length == 0 ? "not a valid cron expression" : reason;
            var field = FieldOf(reason, fields.Count == 6);
            if (field >= 0 && field < fields.Count)
            {
                offset = fields[field].Start;
                var names = fields.Count == 6 ? ["second", .. FiveFields] : FiveFields;
                error = $"invalid cron expression '{text}': {names[field]} field '{fields[field].Text}': {reason}";
            }
            else
            {
                error = $"invalid cron expression '{text}': {reason}";
            }

            return null;
        }
    }

    /// <summary>Which field Cronos's message is about (it starts with the field's name), or -1.</summary>
    private static int FieldOf(string message, bool withSeconds)
    {
        string[] prefixes = ["Seconds", "Minutes", "Hours", "Days of month", "Months", "Days of week"];
        for (var i = 0; i < prefixes.Length; i++)
        {
            if (message.StartsWith(prefixes[i], StringComparison.Ordinal))
            {
                return withSeconds ? i : i - 1;
            }
        }

        return -1;
    }

    private static List<(string Text, int Start)> Fields(string text)
    {
        var fields = new List<(string, int)>();
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            var start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            if (i > start)
            {
                fields.Add((text[start..i], start));
            }
        }

        return fields;
    }
}
