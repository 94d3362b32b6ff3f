/*
 * checker._fastyaml: the YAML tree with positions, built in C over libyaml
 * (vendored in vendor/libyaml, MIT licence there).
 *
 * compose(text, locations, resolve, max_nodes, max_depth) parses one YAML
 * document and returns its plain Python value (dict, list, str, int, float,
 * bool, None, datetime.date), filling ``locations`` as checker.loader's reader
 * does: path tuple -> (line, column), 1-based, for the document, every mapping
 * key and every sequence item. It is a fast path only: whenever the input is
 * anything but a plain, valid document -- a syntax error, a tag, an anchor or
 * alias, a complex or duplicate key, more than one document, too many values
 * or too deep nesting, a scalar whose constructor fails -- it returns None and
 * the loader reads the text again with its reference reader (PyYAML's event
 * stream), which makes every message and location. ``locations`` may then
 * hold entries already: the caller clears it.
 *
 * Plain scalars are resolved as PyYAML's SafeLoader resolves them (YAML 1.1
 * implicit types). The common forms are decided here: text whose first
 * character no implicit type can start with, the bool and null words, decimal
 * integers, decimal fractions and YYYY-MM-DD dates; every other plain scalar
 * starting with a character an implicit type can start with is handed to
 * ``resolve(text)``, which returns the value PyYAML constructs, or itself
 * (``resolve``) when the scalar cannot be constructed (then None is returned).
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>
#include <string.h>

#include "yaml.h"

#define STACK_MAX 64

typedef struct {
    PyObject *value; /* dict or list (owned) */
    PyObject *path;  /* tuple (owned) */
    PyObject *key;   /* mappings: the key whose value comes next (owned) or NULL */
    int is_list;
} frame_t;

static PyObject *
position(const yaml_mark_t *mark)
{
    return Py_BuildValue("(nn)", (Py_ssize_t)mark->line + 1, (Py_ssize_t)mark->column + 1);
}

static PyObject *
path_plus(PyObject *path, PyObject *part)
{
    Py_ssize_t n = PyTuple_GET_SIZE(path), i;
    PyObject *out = PyTuple_New(n + 1);
    if (out == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        PyObject *item = PyTuple_GET_ITEM(path, i);
        Py_INCREF(item);
        PyTuple_SET_ITEM(out, i, item);
    }
    Py_INCREF(part);
    PyTuple_SET_ITEM(out, n, part);
    return out;
}

static int
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A decimal integer PyYAML reads as int(text): -?(0|[1-9][0-9]*), at most 18 digits. */
static int
plain_int(const char *s, size_t n)
{
    size_t i = 0, digits;
    if (n && s[0] == '-')
        i = 1;
    digits = n - i;
    if (digits == 0 || digits > 18)
        return 0;
    if (s[i] == '0')
        return digits == 1;
    for (; i < n; i++)
        if (!is_digit(s[i]))
            return 0;
    return 1;
}

/* A decimal fraction PyYAML reads as float(text): -?(0|[1-9][0-9]*)\.[0-9]+ */
static int
plain_float(const char *s, size_t n)
{
    size_t i = 0, start;
    if (n && s[0] == '-')
        i = 1;
    start = i;
    if (i < n && s[i] == '0')
        i++;
    else if (i < n && s[i] >= '1' && s[i] <= '9')
        while (i < n && is_digit(s[i]))
            i++;
    if (i == start || i >= n || s[i] != '.')
        return 0;
    i++;
    if (i >= n)
        return 0;
    for (; i < n; i++)
        if (!is_digit(s[i]))
            return 0;
    return 1;
}

static int
plain_date(const char *s, size_t n)
{
    int i;
    if (n != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !is_digit(s[i]))
            return 0;
    return 1;
}

static int
word_in(const char *s, size_t n, const char *const *words)
{
    for (; *words; words++)
        if (strlen(*words) == n && memcmp(*words, s, n) == 0)
            return 1;
    return 0;
}

static const char *const TRUE_WORDS[] = {"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", NULL};
static const char *const FALSE_WORDS[] = {"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", NULL};
static const char *const NULL_WORDS[] = {"~", "null", "Null", "NULL", NULL};

static PyObject *fallback_marker; /* Py_None stands for YAML null; this pointer for "use the reference reader" */

/* The value of a scalar event (new reference), fallback_marker (borrowed) to give up, NULL on error. */
static PyObject *
scalar_value(yaml_event_t *event, PyObject *resolve)
{
    const char *s = (const char *)event->data.scalar.value;
    size_t n = event->data.scalar.length;
    char c;

    if (event->data.scalar.tag != NULL || event->data.scalar.anchor != NULL)
        return fallback_marker;
    if (!event->data.scalar.plain_implicit)
        return PyUnicode_DecodeUTF8(s, (Py_ssize_t)n, "strict");
    if (n == 0)
        Py_RETURN_NONE;
    c = s[0];
    if (c != '\0' && strchr("yYnNtTfFoO~", c)) {
        if (word_in(s, n, TRUE_WORDS))
            Py_RETURN_TRUE;
        if (word_in(s, n, FALSE_WORDS))
            Py_RETURN_FALSE;
        if (word_in(s, n, NULL_WORDS))
            Py_RETURN_NONE;
        return PyUnicode_DecodeUTF8(s, (Py_ssize_t)n, "strict");
    }
    if (c != '\0' && strchr("-+0123456789.<=!&*", c)) {
        PyObject *text, *value;
        if (plain_int(s, n)) {
            char buffer[24];
            memcpy(buffer, s, n);
            buffer[n] = '\0';
            return PyLong_FromString(buffer, NULL, 10);
        }
        if (plain_date(s, n)) {
            int year = atoi(s), month = (s[5] - '0') * 10 + (s[6] - '0'), day = (s[8] - '0') * 10 + (s[9] - '0');
            value = PyDate_FromDate(year, month, day);
            if (value == NULL && PyErr_ExceptionMatches(PyExc_ValueError)) {
                PyErr_Clear(); /* an impossible date: the reference reader reports it */
                return fallback_marker;
            }
            return value;
        }
        text = PyUnicode_DecodeUTF8(s, (Py_ssize_t)n, "strict");
        if (text == NULL)
            return NULL;
        if (plain_float(s, n)) {
            value = PyFloat_FromString(text);
        } else {
            value = PyObject_CallOneArg(resolve, text);
            if (value == resolve) {
                Py_DECREF(value);
                value = fallback_marker;
            }
        }
        Py_DECREF(text);
        return value;
    }
    return PyUnicode_DecodeUTF8(s, (Py_ssize_t)n, "strict");
}

/* 1: built, *root set; 0: give up (use the reference reader); -1: Python error. */
static int
build(yaml_parser_t *parser, PyObject *locations, PyObject *resolve, Py_ssize_t max_nodes, int max_depth,
      PyObject **root)
{
    frame_t stack[STACK_MAX];
    int depth = 0, result = 0, done = 0;
    Py_ssize_t nodes = 0;
    yaml_event_t event;
    PyObject *empty = PyTuple_New(0);

    if (empty == NULL)
        return -1;
    if (max_depth > STACK_MAX - 2)
        max_depth = STACK_MAX - 2;
    *root = NULL;
    while (!done) {
        PyObject *value = NULL, *path = NULL;
        frame_t *top = depth ? &stack[depth - 1] : NULL;
        int is_item;

        if (!yaml_parser_parse(parser, &event))
            goto give_up;
        switch (event.type) {
        case YAML_SCALAR_EVENT:
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            yaml_event_delete(&event);
            if (top == NULL)
                goto give_up;
            value = top->value;
            Py_DECREF(top->path);
            Py_XDECREF(top->key);
            depth--;
            goto attach;
        default: /* an alias, or anything unexpected inside the document */
            yaml_event_delete(&event);
            goto give_up;
        }

        if (++nodes > max_nodes)
            goto give_up_event;
        if (top != NULL && !top->is_list && top->key == NULL) { /* a mapping key: kept as written */
            PyObject *key, *pos;
            int found;
            if (event.type != YAML_SCALAR_EVENT || event.data.scalar.tag != NULL || event.data.scalar.anchor != NULL)
                goto give_up_event;
            key = PyUnicode_DecodeUTF8((const char *)event.data.scalar.value,
                                       (Py_ssize_t)event.data.scalar.length, "strict");
            if (key == NULL)
                goto error_event;
            PyUnicode_InternInPlace(&key);
            found = PyDict_Contains(top->value, key);
            if (found != 0) { /* a duplicate key (or an error) */
                Py_DECREF(key);
                if (found < 0)
                    goto error_event;
                goto give_up_event;
            }
            path = path_plus(top->path, key);
            pos = position(&event.start_mark);
            if (path == NULL || pos == NULL || PyDict_SetItem(locations, path, pos) < 0) {
                Py_XDECREF(path);
                Py_XDECREF(pos);
                Py_DECREF(key);
                goto error_event;
            }
            Py_DECREF(path);
            Py_DECREF(pos);
            top->key = key;
            yaml_event_delete(&event);
            continue;
        }

        /* a value: the document, a sequence item or the value of a mapping key */
        is_item = top == NULL || top->is_list;
        if (top == NULL) {
            path = empty;
            Py_INCREF(path);
        } else if (top->is_list) {
            PyObject *index = PyLong_FromSsize_t(PyList_GET_SIZE(top->value));
            if (index == NULL)
                goto error_event;
            path = path_plus(top->path, index);
            Py_DECREF(index);
        } else {
            path = path_plus(top->path, top->key);
        }
        if (path == NULL)
            goto error_event;
        if (is_item) {
            PyObject *pos = position(&event.start_mark);
            if (pos == NULL || PyDict_SetItem(locations, path, pos) < 0) {
                Py_XDECREF(pos);
                Py_DECREF(path);
                goto error_event;
            }
            Py_DECREF(pos);
        }
        if (event.type == YAML_SCALAR_EVENT) {
            value = scalar_value(&event, resolve);
            Py_DECREF(path);
            yaml_event_delete(&event);
            if (value == NULL)
                goto error;
            if (value == fallback_marker)
                goto give_up;
            goto attach;
        }
        /* a collection opens */
        {
            yaml_char_t *tag = event.type == YAML_MAPPING_START_EVENT ? event.data.mapping_start.tag
                                                                       : event.data.sequence_start.tag;
            yaml_char_t *anchor = event.type == YAML_MAPPING_START_EVENT ? event.data.mapping_start.anchor
                                                                          : event.data.sequence_start.anchor;
            frame_t *frame;
            if (tag != NULL || anchor != NULL || depth + 1 > max_depth) {
                Py_DECREF(path);
                goto give_up_event;
            }
            frame = &stack[depth];
            frame->is_list = event.type == YAML_SEQUENCE_START_EVENT;
            frame->value = frame->is_list ? PyList_New(0) : PyDict_New();
            if (frame->value == NULL) {
                Py_DECREF(path);
                goto error_event;
            }
            frame->path = path;
            frame->key = NULL;
            depth++;
            yaml_event_delete(&event);
            continue;
        }

    attach: /* ``value`` (owned) goes into the open collection, or is the document */
        if (depth == 0) {
            *root = value;
            done = 1;
            break;
        }
        top = &stack[depth - 1];
        if (top->is_list) {
            if (PyList_Append(top->value, value) < 0) {
                Py_DECREF(value);
                goto error;
            }
        } else {
            int failed = PyDict_SetItem(top->value, top->key, value) < 0;
            Py_CLEAR(top->key);
            if (failed) {
                Py_DECREF(value);
                goto error;
            }
        }
        Py_DECREF(value);
    }
    result = 1;
    goto out;

give_up_event:
    yaml_event_delete(&event);
give_up:
    result = 0;
    goto unwind;
error_event:
    yaml_event_delete(&event);
error:
    result = -1;
unwind:
    while (depth > 0) {
        depth--;
        Py_DECREF(stack[depth].value);
        Py_DECREF(stack[depth].path);
        Py_XDECREF(stack[depth].key);
    }
out:
    Py_DECREF(empty);
    return result;
}

static int
expect(yaml_parser_t *parser, yaml_event_type_t type)
{
    yaml_event_t event;
    int ok;
    if (!yaml_parser_parse(parser, &event))
        return 0;
    ok = event.type == type;
    if (ok && type == YAML_DOCUMENT_START_EVENT)
        ok = event.data.document_start.tag_directives.start == event.data.document_start.tag_directives.end;
    yaml_event_delete(&event);
    return ok;
}

static PyObject *
compose(PyObject *self, PyObject *args)
{
    PyObject *text, *locations, *resolve, *root = NULL;
    Py_ssize_t max_nodes, size;
    int max_depth, built = 0;
    const char *data;
    yaml_parser_t parser;

    if (!PyArg_ParseTuple(args, "UO!Oni:compose", &text, &PyDict_Type, &locations, &resolve, &max_nodes,
                          &max_depth))
        return NULL;
    data = PyUnicode_AsUTF8AndSize(text, &size);
    if (data == NULL) { /* e.g. a lone surrogate: the reference reader decides */
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    if (!yaml_parser_initialize(&parser))
        return PyErr_NoMemory();
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, (size_t)size);
    /* no encoding set: as PyYAML's CParser, libyaml finds UTF-8 and skips a leading BOM itself */
    if (expect(&parser, YAML_STREAM_START_EVENT) && expect(&parser, YAML_DOCUMENT_START_EVENT)) {
        built = build(&parser, locations, resolve, max_nodes, max_depth, &root);
        if (built == 1 && !(expect(&parser, YAML_DOCUMENT_END_EVENT) && expect(&parser, YAML_STREAM_END_EVENT))) {
            Py_CLEAR(root);
            built = 0;
        }
    }
    yaml_parser_delete(&parser);
    if (built < 0)
        return NULL;
    if (built == 0)
        Py_RETURN_NONE;
    return Py_BuildValue("(N)", root);
}

static PyMethodDef methods[] = {
    {"compose", compose, METH_VARARGS,
     "compose(text, locations, resolve, max_nodes, max_depth) -> (value,) or None (use the reference reader)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fastyaml", "The YAML tree with positions, built in C over libyaml.", -1, methods,
};

PyMODINIT_FUNC
PyInit__fastyaml(void)
{
    PyObject *m;
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL)
        return NULL;
    m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    fallback_marker = PyModule_GetDict(m); /* any object that cannot be a value; borrowed, lives with the module */
    if (PyModule_AddStringConstant(m, "LIBYAML_VERSION", yaml_get_version_string()) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
