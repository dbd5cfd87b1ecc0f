namespace Lifeboat.Agent.PlanFile;

/// <summary>Finds the valid key an unknown key was most likely meant to be (edit distance), for "did you mean".</summary>
public static class NearestKey
{
    /// <summary>
    /// The valid key closest to <paramref name="unknown"/>, or null when none is close enough to be a plausible typo
    /// (distance more than a third of the longer word, at least 2).
    /// </summary>
    public static string? Find(string unknown, IEnumerable<string> valid)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in valid)
        {
            var distance = Distance(unknown.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        if (best is null)
        {
            return null;
        }

        var allowed = Math.Max(2, Math.Max(unknown.Length, best.Length) / 3);
        return bestDistance <= allowed ? best : null;
    }

    /// <summary>The message for an unknown key: what it is, the nearest valid key if any, and the valid keys.</summary>
    public static string UnknownKeyMessage(string unknown, string where, IReadOnlyCollection<string> valid)
    {
        var nearest = Find(unknown, valid);
        var hint = nearest is null ? string.Empty : $"; did you mean '{nearest}'?";
        return $"unknown key '{unknown}' in {where}{hint} (valid keys: {string.Join(", ", valid)})";
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps cost 1.</summary>
    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
