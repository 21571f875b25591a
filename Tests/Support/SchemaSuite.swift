/// JSON Schemas the structured-output tests compile, sample from and validate: the common subset in many shapes
/// (nested objects, arrays of objects, enums, anyOf, refs, formats, patterns, bounds).
public enum SchemaSuite {
    /// The schemas by name.
    public static let schemas: [(name: String, schema: String)] = [
        ("string", ##"{"type": "string"}"##),
        ("integer", ##"{"type": "integer"}"##),
        ("number", ##"{"type": "number"}"##),
        ("boolean", ##"{"type": "boolean"}"##),
        ("null", ##"{"type": "null"}"##),
        ("any value", ##"{}"##),
        ("nullable string", ##"{"type": ["string", "null"]}"##),
        ("enum of strings", ##"{"enum": ["red", "green", "blue"]}"##),
        ("enum of mixed", ##"{"enum": ["a", 1, 2.5, true, null, {"k": [1, 2]}]}"##),
        ("const", ##"{"const": "fixed \"quoted\" value"}"##),
        ("integer range", ##"{"type": "integer", "minimum": -37, "maximum": 1250}"##),
        ("integer positive", ##"{"type": "integer", "exclusiveMinimum": 0}"##),
        ("integer at most", ##"{"type": "integer", "maximum": -5}"##),
        ("number range", ##"{"type": "number", "minimum": -2, "maximum": 3}"##),
        ("number non-negative", ##"{"type": "number", "minimum": 0}"##),
        ("string lengths", ##"{"type": "string", "minLength": 2, "maxLength": 5}"##),
        ("pattern phone", ##"{"type": "string", "pattern": "^\\+?[0-9]{1,3}-[0-9]{3}-[0-9]{4}$"}"##),
        ("pattern alternatives", ##"{"type": "string", "pattern": "^(cat|dog|b[a-c]+d)(?:s)?$"}"##),
        ("pattern classes", ##"{"type": "string", "pattern": "^[A-Z][a-z0-9_]{2,6}\\.[^\\s\"]{1,3}$"}"##),
        ("date", ##"{"type": "string", "format": "date"}"##),
        ("date-time", ##"{"type": "string", "format": "date-time"}"##),
        ("uuid", ##"{"type": "string", "format": "uuid"}"##),
        ("email", ##"{"type": "string", "format": "email"}"##),
        (
            "flat object",
            ##"{"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0, "maximum": 150}}, "required": ["name", "age"], "additionalProperties": false}"##
        ),
        (
            "optional properties",
            ##"{"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"}, "c": {"type": "boolean"}, "d": {"type": "null"}}, "required": ["b"]}"##
        ),
        ("no required", ##"{"type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "number"}}}"##),
        ("empty object", ##"{"type": "object", "additionalProperties": false}"##),
        ("map", ##"{"type": "object", "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 9}}"##),
        ("array of integers", ##"{"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 4}"##),
        ("array exactly three", ##"{"type": "array", "items": {"enum": ["x", "y"]}, "minItems": 3, "maxItems": 3}"##),
        ("array unbounded", ##"{"type": "array", "items": {"type": "string", "maxLength": 3}}"##),
        (
            "array of objects",
            ##"{"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2}}, "required": ["id", "tags"]}, "maxItems": 3}"##
        ),
        (
            "nested objects",
            ##"{"type": "object", "properties": {"user": {"type": "object", "properties": {"name": {"type": "string", "minLength": 1}, "address": {"type": "object", "properties": {"city": {"type": "string"}, "zip": {"type": "string", "pattern": "^[0-9]{5}$"}}, "required": ["city", "zip"]}}, "required": ["name", "address"]}, "active": {"type": "boolean"}}, "required": ["user", "active"]}"##
        ),
        (
            "anyOf",
            ##"{"anyOf": [{"type": "integer", "minimum": 10, "maximum": 20}, {"type": "string", "enum": ["none"]}, {"type": "object", "properties": {"v": {"type": "number"}}, "required": ["v"]}]}"##
        ),
        (
            "anyOf with null (Pydantic Optional)",
            ##"{"type": "object", "properties": {"note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null, "title": "Note"}}, "required": ["note"], "title": "Model"}"##
        ),
        (
            "refs",
            ##"{"$defs": {"Point": {"type": "object", "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}}, "required": ["x", "y"], "additionalProperties": false}}, "type": "object", "properties": {"from": {"$ref": "#/$defs/Point"}, "to": {"$ref": "#/$defs/Point"}}, "required": ["from", "to"]}"##
        ),
        (
            "recursive tree",
            ##"{"$defs": {"Node": {"type": "object", "properties": {"value": {"type": "integer"}, "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}, "maxItems": 2}}, "required": ["value", "children"]}}, "$ref": "#/$defs/Node"}"##
        ),
        (
            "definitions and enum (Pydantic v1 style)",
            ##"{"definitions": {"Color": {"title": "Color", "enum": ["RED", "GREEN"], "type": "string"}}, "type": "object", "properties": {"color": {"$ref": "#/definitions/Color"}, "count": {"type": "integer", "exclusiveMaximum": 100, "minimum": 1}}, "required": ["color", "count"]}"##
        ),
        (
            "allOf with one schema",
            ##"{"type": "object", "properties": {"status": {"allOf": [{"$ref": "#/$defs/S"}]}}, "required": ["status"], "$defs": {"S": {"enum": ["ok", "failed"]}}}"##
        ),
        (
            "unicode and escapes in keys and enums",
            ##"{"type": "object", "properties": {"naïve \"key\"": {"enum": ["é", "\\", "tab\there"]}}, "required": ["naïve \"key\""]}"##
        ),
        (
            "extraction record",
            ##"{"type": "object", "properties": {"invoice": {"type": "string", "pattern": "^INV-[0-9]{4,6}$"}, "date": {"type": "string", "format": "date"}, "total": {"type": "number", "minimum": 0, "maximum": 100000}, "currency": {"enum": ["EUR", "USD", "GBP"]}, "lines": {"type": "array", "items": {"type": "object", "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1, "maximum": 99}}, "required": ["sku", "qty"], "additionalProperties": false}, "minItems": 1, "maxItems": 3}}, "required": ["invoice", "date", "total", "currency", "lines"], "additionalProperties": false}"##
        ),
    ]
}
