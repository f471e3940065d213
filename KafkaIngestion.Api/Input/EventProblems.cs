namespace KafkaIngestion.Api.Input;

/// <summary>Problems found in a request, by field ("type", or "[3].type" inside a batch).</summary>
internal sealed class EventProblems
{
    private readonly Dictionary<string, List<string>> _byField = new(StringComparer.Ordinal);

    public int Count => _byField.Count;

    public void Add(string field, string problem)
    {
        if (!_byField.TryGetValue(field, out var problems))
        {
            _byField[field] = problems = [];
        }

        problems.Add(problem);
    }

    /// <summary>The problems whose field starts with <paramref name="prefix"/>, prefix removed.</summary>
    public Dictionary<string, string[]> For(string prefix) =>
        _byField.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(p => p.Key[prefix.Length..], p => p.Value.ToArray(), StringComparer.Ordinal);

    public Dictionary<string, string[]> ToDictionary() =>
        _byField.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
}
