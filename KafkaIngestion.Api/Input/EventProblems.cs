namespace KafkaIngestion.Api.Input;

/// <summary>Problems found in a request, by field ("type", or "[3].type" inside a batch).</summary>
internal sealed class EventProblems
{
    private readonly Dictionary<string, List<string>> _byField = new(StringComparer.Ordinal);

    public int Count => _byField.Count;

    /// <summary>
    /// Every problem added, also a second one for the same field: "did this step find anything"
    /// must not depend on whether an earlier step had already complained about that field.
    /// </summary>
    public int Added { get; private set; }

    public void Add(string field, string problem)
    {
        Added++;
        if (!_byField.TryGetValue(field, out var problems))
        {
            _byField[field] = problems = [];
        }

        problems.Add(problem);
    }

    /// <summary>
    /// A batch's problems by event index ("[3].type" → 3: {"type": …}; "[3]" → 3: {"$": …}), in
    /// one pass: scanning all problems once per rejected event would be quadratic.
    /// </summary>
    public Dictionary<int, Dictionary<string, string[]>> ByEvent()
    {
        var byEvent = new Dictionary<int, Dictionary<string, string[]>>();
        foreach (var (field, problems) in _byField)
        {
            var close = field.IndexOf(']', StringComparison.Ordinal);
            if (!field.StartsWith('[') || close < 0 || !int.TryParse(field.AsSpan(1, close - 1), out var index))
            {
                continue;
            }

            if (!byEvent.TryGetValue(index, out var fields))
            {
                byEvent[index] = fields = new Dictionary<string, string[]>(StringComparer.Ordinal);
            }

            var name = close + 2 <= field.Length ? field[(close + 2)..] : "";
            fields[name.Length == 0 ? "$" : name] = [.. problems];
        }

        return byEvent;
    }

    /// <summary>Empties the list for the next event (a stream reads every event into one list).</summary>
    public void Clear()
    {
        _byField.Clear();
        Added = 0;
    }

    public Dictionary<string, string[]> ToDictionary() =>
        _byField.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
}
