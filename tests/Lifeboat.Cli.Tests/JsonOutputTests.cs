using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lifeboat.Cli.Tests;

/// <summary>
/// The --json outputs have build-time metadata only (no reflection: the native binary has none).
/// These walk every output type, so a type or an enum added without its metadata fails here, not
/// in a user's script.
/// </summary>
public sealed class JsonOutputTests
{
    private static IReadOnlyList<Type> Registered() =>
        [.. CustomAttributeData.GetCustomAttributes(typeof(CliJsonContext))
            .Where(d => d.AttributeType == typeof(JsonSerializableAttribute))
            .Select(d => (Type)d.ConstructorArguments[0].Value!)];

    /// <summary>Every type reachable from the registered ones through public properties and collection elements.</summary>
    private static HashSet<Type> Reachable()
    {
        var seen = new HashSet<Type>();
        var queue = new Queue<Type>(Registered());
        while (queue.TryDequeue(out var type))
        {
            type = Nullable.GetUnderlyingType(type) ?? type;
            if (!seen.Add(type) || type.IsPrimitive || type == typeof(string) || type.Namespace?.StartsWith("System.Text.Json", StringComparison.Ordinal) == true)
            {
                continue;
            }

            if (type.IsGenericType)
            {
                foreach (var argument in type.GetGenericArguments())
                {
                    queue.Enqueue(argument);
                }
            }

            if (type.IsArray)
            {
                queue.Enqueue(type.GetElementType()!);
            }

            if (type.IsEnum || typeof(IEnumerable).IsAssignableFrom(type) || type.Namespace?.StartsWith("System", StringComparison.Ordinal) == true)
            {
                continue;
            }

            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0))
            {
                queue.Enqueue(property.PropertyType);
            }
        }

        return seen;
    }

    [Fact]
    public void Every_output_type_has_build_time_metadata()
    {
        Registered().Should().NotBeEmpty();
        foreach (var type in Reachable().Where(t => !t.IsGenericTypeDefinition))
        {
            var act = () => CliContext.JsonOutput.GetTypeInfo(type);
            act.Should().NotThrow($"{type} is printed by a --json output");
        }
    }

    [Fact]
    public void Every_enum_in_an_output_prints_as_a_camel_case_name()
    {
        var enums = Reachable().Where(t => t.IsEnum).ToList();
        enums.Should().NotBeEmpty("the status output holds an enum (Health), so the walk must find one");
        foreach (var type in enums)
        {
            var value = Enum.GetValues(type).GetValue(0)!;
            var json = JsonSerializer.Serialize(value, CliContext.JsonOutput.GetTypeInfo(type));
            var name = value.ToString()!;
            json.Should().Be($"\"{char.ToLowerInvariant(name[0])}{name[1..]}\"", $"{type} should print as a camelCase name; list its converter in CliContext.JsonOutput");
        }
    }

    [Fact]
    public void An_error_prints_as_its_message_and_exit_code()
    {
        var json = JsonSerializer.Serialize(new ErrorOutput("no such repository", 10), CliContext.JsonOutput.GetTypeInfo(typeof(ErrorOutput)));

        using var document = JsonDocument.Parse(json);
        document.RootElement.GetProperty("error").GetString().Should().Be("no such repository");
        document.RootElement.GetProperty("exitCode").GetInt32().Should().Be(10);
    }

    [Fact]
    public void Quotes_and_names_in_other_scripts_print_as_themselves_not_as_unicode_escapes()
    {
        var json = JsonSerializer.Serialize(new KeyOutput("\"side\".\"Zürich ✓\""), CliContext.JsonOutput.GetTypeInfo(typeof(KeyOutput)));

        json.Should().Contain("\"key\": \"\\\"side\\\".\\\"Zürich ✓\\\"\"");
        JsonDocument.Parse(json).RootElement.GetProperty("key").GetString().Should().Be("\"side\".\"Zürich ✓\"");
    }
}
