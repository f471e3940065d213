using System.Text.Json;

namespace Aspire.Hosting;

/// <summary>What a service answered to a dashboard command, as the text the dashboard shows.</summary>
internal static class CommandAnswers
{
    /// <summary>
    /// The answer's <paramref name="property"/> (e.g. a run's summary, a ProblemDetails' detail),
    /// its validation errors when it has them, or the status code and raw text.
    /// </summary>
    public static async Task<string> DescribeAsync(HttpResponseMessage response, string property, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            using var json = JsonDocument.Parse(text);
            if (json.RootElement.TryGetProperty("errors", out var errors))
            {
                return string.Join(" ", errors.EnumerateObject().SelectMany(e => e.Value.EnumerateArray().Select(m => m.GetString())));
            }

            return json.RootElement.TryGetProperty(property, out var value) ? value.GetString() ?? text : text;
        }
        catch (JsonException)
        {
            return $"{(int)response.StatusCode}: {text}";
        }
    }
}
