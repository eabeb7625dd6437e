"""Files as Ruffus names them: the file-name engine, files a strategy freed, links."""
