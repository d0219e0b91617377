"""What the grant tests do as a reader: an HTTP call with a bearer token, a SQL query over
psycopg2 that keeps its SQLSTATE, and a check of an exported Parquet file read by another
DuckDB (quanta's own sqllogictest runner)."""

import os
import subprocess
import urllib.error
import urllib.request


def bearer_http(method, url, token, body=None, content_type="application/json", timeout=60):
    """(status, body text, headers) of one request signed in with `token`."""
    headers = {"Content-Type": content_type, "Authorization": "Bearer " + token}
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


def query(connection, sql):
    """(rows, None) or (None, (sqlstate, message))."""
    import psycopg2
    cursor = connection.cursor()
    try:
        cursor.execute(sql)
        return cursor.fetchall(), None
    except psycopg2.Error as error:
        return None, (error.pgcode, str(error))


def parquet_matches(quanta, work, path, select, expected_lines):
    """Whether SELECT `select` over the Parquet file at `path` gives `expected_lines`
    (tab-separated, in any order), and what the runner said."""
    test = os.path.join(work, "parquet.test")
    with open(test, "w") as out:
        out.write(f"query {'T' * len(expected_lines[0].split(chr(9)))} rowsort\n")
        out.write(f"SELECT {select} FROM read_parquet('{path}')\n----\n")
        out.write("\n".join(expected_lines) + "\n")
    done = subprocess.run([quanta, "sqllogictest", test], capture_output=True, text=True)
    return done.returncode == 0, done.stdout + done.stderr
