host
