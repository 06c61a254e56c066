

def test_stock_can_be_emptied():
    stock = Stock()
    stock.add("apple", 1)
    stock.clear()
    assert stock.items == {}
