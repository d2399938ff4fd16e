"""What the tests share: workbooks and figures made once, mail and mail servers, the web page driven."""
