using KafkaIngestion.Events;

namespace KafkaIngestion.Api;

/// <summary>Checks a <see cref="RegisterEventRequest"/> and names every problem it finds.</summary>
internal static class RegisterEventValidator
{
    public const int MaxIdLength = 256;
    public const int MaxTypeLength = 256;
    public const int MaxSourceLength = 1024;
    public const int MaxKeyLength = 1024;

    /// <returns>Problems by JSON field name; empty when the request is valid.</returns>
    public static Dictionary<string, string[]> Validate(RegisterEventRequest request)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);

        if (string.IsNullOrWhiteSpace(request.Type))
        {
            errors["type"] = ["The field 'type' is required and may not be empty."];
        }
        else
        {
            CheckText(errors, "type", request.Type, MaxTypeLength);
        }

        if (request.Id is not null)
        {
            if (request.Id.Length == 0)
            {
                errors["id"] = ["The field 'id' may not be empty; leave it out to have one assigned."];
            }
            else
            {
                CheckText(errors, "id", request.Id, MaxIdLength);
            }
        }

        if (request.Source is not null)
        {
            CheckText(errors, "source", request.Source, MaxSourceLength);
        }

        if (request.Key is not null)
        {
            CheckText(errors, "key", request.Key, MaxKeyLength);
        }

        return errors;
    }

    private static void CheckText(Dictionary<string, string[]> errors, string field, string value, int maxLength)
    {
        if (value.Length > maxLength)
        {
            errors[field] = [$"The field '{field}' is {value.Length} characters long; at most {maxLength} are allowed."];
        }
        else if (value.Any(char.IsControl))
        {
            // These values become Kafka headers and log fields, where control characters do harm.
            errors[field] = [$"The field '{field}' contains control characters."];
        }
    }
}
