using System.Text.Json;
using System.Text.Json.Serialization;
using KafkaIngestion.Events;

namespace KafkaIngestion.Api;

/// <summary>The answer to a batch: one result per event, in the order sent.</summary>
internal sealed record BatchResult(int Accepted, int Rejected, int Failed, IReadOnlyList<BatchEventResult> Results);

/// <summary>
/// One event of a batch. <c>accepted</c>: stored, at <see cref="Partition"/>/<see cref="Offset"/>.
/// <c>rejected</c>: invalid, see <see cref="Errors"/>; do not resend as is. <c>failed</c>: the
/// broker did not take it, see <see cref="Error"/>; resend it (same id) later.
/// </summary>
internal sealed record BatchEventResult(
    int Index,
    string Status,
    string? Id = null,
    int? Partition = null,
    long? Offset = null,
    IReadOnlyDictionary<string, string[]>? Errors = null,
    string? Error = null)
{
    public const string AcceptedStatus = "accepted";
    public const string RejectedStatus = "rejected";
    public const string FailedStatus = "failed";
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BatchResult))]
[JsonSerializable(typeof(EventAccepted))]
internal sealed partial class EventResultsJsonContext : JsonSerializerContext;
